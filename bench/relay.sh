#!/usr/bin/env bash
# Relay throughput, mailwall vs Postfix, same run, same input:
#   smtp-source (SESSIONS sessions x MSGS messages x SIZE bytes)
#     -> MTA on 127.0.0.1 -> smtp-sink on 127.0.0.1
# End-to-end rate = messages seen delivered in the MTA's log / time from the
# first injection to the last delivery. Both keep their durability: Postfix
# fsyncs its queue files, mailwall fsyncs spool + queue before each 250.
#   env: SESSIONS=20 MSGS=2000 SIZE=10240 RUNS=3 PORT_BASE=22500
# Last line: "relay: mailwall X msg/s, postfix Y msg/s, ratio Z"
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(dirname "$HERE")"
SESSIONS="${SESSIONS:-20}"; MSGS="${MSGS:-2000}"; SIZE="${SIZE:-10240}"; RUNS="${RUNS:-3}"
BASE="${PORT_BASE:-22500}"
PF_PORT=$BASE; MW_PORT=$((BASE + 1)); SINK_PORT=$((BASE + 2)); MW_WEB=$((BASE + 3))
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mailwall-relay-bench.XXXXXX")"
chmod 755 "$WORK"   # Postfix daemons (user postfix) must reach their directories
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/pf/etc/main.cf" ] && postfix -c "$WORK/pf/etc" stop >/dev/null 2>&1 || true
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
log() { echo "relay-bench: $*" >&2; }
for b in smtp-source smtp-sink postfix; do
  command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] || { echo "relay-bench: $b missing (bash scripts/install-deps.sh)"; exit 2; }
done
export PATH="$PATH:/usr/sbin"
now() { date +%s.%N; }
wait_port() { local i; for ((i = 0; i < 150; i++)); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done; return 1; }
# count_sent LOG: deliveries logged so far (both MTAs write "status=sent")
count_sent() { grep -c 'status=sent' "$1" 2>/dev/null || true; }

# --- sink
smtp-sink -u postfix -c 127.0.0.1:$SINK_PORT 1000 >/dev/null 2>&1 & PIDS+=($!)
wait_port $SINK_PORT || { log "smtp-sink did not start"; exit 1; }

# --- Postfix, private instance relaying everything to the sink
mkdir -p "$WORK/pf/etc" "$WORK/pf/spool" "$WORK/pf/data"; chown postfix "$WORK/pf/data"
cat > "$WORK/pf/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $WORK/pf/spool
data_directory = $WORK/pf/data
meta_directory = /etc/postfix
daemon_directory = /usr/lib/postfix/sbin
command_directory = /usr/sbin
mail_owner = postfix
setgid_group = postdrop
myhostname = bench-postfix.test
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relayhost = [127.0.0.1]:$SINK_PORT
mynetworks = 127.0.0.0/8
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtpd_relay_restrictions = permit_mynetworks, reject
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_tls_security_level = none
smtp_tls_security_level = none
maillog_file = $WORK/pf/maillog
maillog_file_prefixes = $WORK
message_size_limit = 52428800
default_process_limit = 100
CF
cat > "$WORK/pf/etc/master.cf" <<CF
127.0.0.1:$PF_PORT inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
CF
postfix -c "$WORK/pf/etc" set-permissions >/dev/null 2>&1 || true
touch "$WORK/pf/maillog"
if ! out=$(postfix -c "$WORK/pf/etc" start 2>&1); then log "postfix start failed: $out $(tail -3 "$WORK/pf/maillog" 2>/dev/null)"; exit 1; fi
wait_port $PF_PORT || { log "postfix did not listen"; exit 1; }

# --- mailwall
go build -o "$WORK/mailwall" "$ROOT/cmd/mailwall"
cat > "$WORK/mailwall.yaml" <<CF
hostname: bench-mailwall.test
data_dir: $WORK/mw
trusted_networks: [127.0.0.0/8]
smtp:
  listen: ["127.0.0.1:$MW_PORT"]
  max_connections_per_ip: 1000
routes:
  - domains: ["*"]
    next_hop: "smtp://127.0.0.1:$SINK_PORT"
web:
  listen: "127.0.0.1:$MW_WEB"
log:
  level: warn
  mail_log: $WORK/mw.log
antivirus:
  enabled: false
spam:
  enabled: false
CF
"$WORK/mailwall" serve --config "$WORK/mailwall.yaml" >/dev/null 2>"$WORK/mw.err" & MW_PID=$!; PIDS+=($MW_PID)
wait_port $MW_PORT || { log "mailwall did not start: $(tail -3 "$WORK/mw.err")"; exit 1; }

# one_run NAME PORT LOG N -> prints msg/s
one_run() {
  local port="$2" logf="$3" n="$4" before t0 t1 c i
  before=$(count_sent "$logf"); t0=$(now)
  timeout 900 smtp-source -s "$SESSIONS" -m "$n" -l "$SIZE" -f bench@bench.test -t sink@sink.test "127.0.0.1:$port" >/dev/null 2>&1 \
    || log "$1: smtp-source exit $?"
  for ((i = 0; i < 6000; i++)); do
    c=$(( $(count_sent "$logf") - before )); [ "$c" -ge "$n" ] && break; sleep 0.1
  done
  t1=$(now)
  [ "$c" -ge "$n" ] || log "$1: only $c/$n delivered"
  awk -v c="$c" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", c/(b-a)}'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
rss_mb() { awk '/VmHWM/{printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }

one_run postfix $PF_PORT "$WORK/pf/maillog" 200 >/dev/null   # warm-up
one_run mailwall $MW_PORT "$WORK/mw.log" 200 >/dev/null
pf=(); mw=()
for ((r = 1; r <= RUNS; r++)); do   # alternate, so both see the same machine state
  p=$(one_run postfix $PF_PORT "$WORK/pf/maillog" "$MSGS"); m=$(one_run mailwall $MW_PORT "$WORK/mw.log" "$MSGS")
  log "run $r: postfix $p msg/s, mailwall $m msg/s"
  pf+=("$p"); mw+=("$m")
done
P=$(median "${pf[@]}"); M=$(median "${mw[@]}")
echo "relay: mailwall $M msg/s (peak rss $(rss_mb $MW_PID) MB), postfix $P msg/s, ratio $(awk -v a="$M" -v b="$P" 'BEGIN{printf "%.2f", a/b}') ($SESSIONS sessions x $MSGS msgs x $SIZE B, median of $RUNS)"
