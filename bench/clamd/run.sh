#!/usr/bin/env bash
# Scan throughput and memory: `mailwall serve`'s clamd listener (native engine) vs
# ClamAV's clamd, same database, same files, same INSTREAM client, same run.
#
#   bench/clamd/run.sh            (from the repository root)
#   env: RUNS=3 N=1000 PASSES=3 PAR=2*nproc HDB=100000 NDB=10000 LDB=500 WORK=<temp dir>
#        MW_GOGC=50 (GOGC of the mailwall process)
#
# The database is generated (EICAR + random .hdb/.ndb/.ldb signatures, the
# shape of a real one, >= 100k entries); the corpus is generated mail with
# text, HTML, binary, zipped and PDF-like attachments, 2% carrying EICAR.
# Both daemons listen on private unix sockets in WORK and are stopped by PID.
# Peak RSS is the kernel's VmHWM of each daemon. Last line:
#   clamd-bench: mailwall X MB/s Y files/s C MB/cpu-s rss A MB | clamd ... | ratio R x MB/s, Q x MB/cpu-s, M x rss
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${RUNS:-3}"; N="${N:-1000}"; PASSES="${PASSES:-3}"; PAR="${PAR:-$(( $(nproc) * 2 ))}"
HDB="${HDB:-100000}"; NDB="${NDB:-10000}"; LDB="${LDB:-500}"; MW_GOGC="${MW_GOGC:-50}"
WORK="${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/clamd-bench.XXXXXX")}"
mkdir -p "$WORK"
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2 }'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<< "$2"; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14+$15)/hz}' "/proc/$1/stat"; }   # user+system CPU so far
hwm_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

command -v clamd > /dev/null || { log "clamd not installed (apt-get install clamav-daemon)"; exit 1; }
go build -o "$WORK/clamdbench" ./bench/clamd/clamdbench
go build -o "$WORK/mailwall" ./cmd/mailwall
[ -f "$WORK/db/bench.hdb" ] || "$WORK/clamdbench" gendb -out "$WORK/db" -hdb "$HDB" -ndb "$NDB" -ldb "$LDB" >&2
[ -f "$WORK/corpus/list.txt" ] || "$WORK/clamdbench" gencorpus -out "$WORK/corpus" -n "$N" >&2
BYTES=$(xargs stat -c %s < "$WORK/corpus/list.txt" | awk '{s+=$1} END{printf "%.1f", s/1e6}')
log "corpus: $N messages, $BYTES MB, sent $PASSES times per run; $PAR INSTREAM connections in flight"

MW_PID=""; CL_PID=""
stop() { # pid: TERM, bounded wait, KILL
  local pid="$1" i
  [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null || return 0
  kill "$pid" 2> /dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2> /dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2> /dev/null || true
}
trap 'stop "$MW_PID"; stop "$CL_PID"' EXIT
wait_sock() { # sock pid name: bounded wait for PONG
  local i
  for ((i = 0; i < 1200; i++)); do
    python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1]); s.sendall(b"zPING\0"); sys.exit(0 if s.recv(8).startswith(b"PONG") else 1)' "$1" 2> /dev/null && return 0
    kill -0 "$2" 2> /dev/null || { log "$3 exited"; return 1; }
    sleep 0.1
  done
  log "$3 not ready in 120 s"; return 1
}

cat > "$WORK/clamd.conf" << CONF
LocalSocket $WORK/clamd.sock
FixStaleSocket yes
Foreground yes
DatabaseDirectory $WORK/db
TemporaryDirectory $WORK
LogFile $WORK/clamd.log
MaxThreads 12
MaxQueue 200
StreamMaxLength 100M
ScanMail yes
ScanArchive yes
ScanPE yes
ScanOLE2 yes
ScanPDF yes
ScanHTML yes
CONF

t0=$(date +%s.%N)
clamd -c "$WORK/clamd.conf" > "$WORK/clamd.out" 2>&1 & CL_PID=$!
wait_sock "$WORK/clamd.sock" "$CL_PID" clamd
CL_LOAD=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}')
t0=$(date +%s.%N)
cat > "$WORK/mailwall.yaml" << CONF
hostname: bench.example.test
data_dir: $WORK/mailwall-data
local_domains: [example.test]
smtp:
  listen: ["127.0.0.1:0"]
routes:
  - domains: ["*"]
    next_hop: "smtp://127.0.0.1:9"
web:
  listen: ""
log:
  level: warn
antivirus:
  database_dir: $WORK/db
  clamd_listen: ["unix:$WORK/mailwall.sock"]
spam:
  enabled: false
CONF
GOGC="$MW_GOGC" "$WORK/mailwall" serve --config "$WORK/mailwall.yaml" > "$WORK/mailwall.out" 2>&1 & MW_PID=$!
wait_sock "$WORK/mailwall.sock" "$MW_PID" mailwall
MW_LOAD=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}')
log "ready: clamd in ${CL_LOAD}s ($(grep -o 'Loaded [0-9]* signatures' "$WORK/clamd.log" | tail -1)), mailwall serve in ${MW_LOAD}s"
CL_IDLE=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$CL_PID/status")
MW_IDLE=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$MW_PID/status")

run() { "$WORK/clamdbench" load -sock "$1" -list "$WORK/corpus/list.txt" -parallel "$PAR" -passes "$2"; }
run "$WORK/clamd.sock" 1 > /dev/null; run "$WORK/mailwall.sock" 1 > /dev/null   # warm-up
cl_mbs=(); cl_fps=(); mw_mbs=(); mw_fps=(); cl_cpu=0; mw_cpu=0
for ((r = 1; r <= RUNS; r++)); do   # alternate so both see the same machine load
  c0=$(cpu_s "$CL_PID"); line=$(run "$WORK/clamd.sock" "$PASSES"); c1=$(cpu_s "$CL_PID"); log "clamd    run $r: $line cpu_s=$(awk -v a="$c0" -v b="$c1" 'BEGIN{print b-a}')"
  cl_cpu=$(awk -v t="$cl_cpu" -v a="$c0" -v b="$c1" 'BEGIN{print t+b-a}')
  cl_mbs+=("$(field mb_per_s "$line")"); cl_fps+=("$(field files_per_s "$line")"); cl_found=$(field found "$line")
  c0=$(cpu_s "$MW_PID"); line=$(run "$WORK/mailwall.sock" "$PASSES"); c1=$(cpu_s "$MW_PID"); log "mailwall run $r: $line cpu_s=$(awk -v a="$c0" -v b="$c1" 'BEGIN{print b-a}')"
  mw_cpu=$(awk -v t="$mw_cpu" -v a="$c0" -v b="$c1" 'BEGIN{print t+b-a}')
  mw_mbs+=("$(field mb_per_s "$line")"); mw_fps+=("$(field files_per_s "$line")"); mw_found=$(field found "$line")
done
# The stock client: clamdscan --stream --multiscan (one session, pipelined
# INSTREAMs) over the same list, when clamdscan is installed.
CS_LINE=""
if command -v clamdscan > /dev/null; then
  echo "LocalSocket $WORK/mailwall.sock" > "$WORK/clamdscan-mailwall.conf"
  cs_cl=(); cs_mw=()
  for ((r = 1; r <= RUNS; r++)); do
    for d in clamd mailwall; do
      conf="$WORK/clamd.conf"; [ "$d" = mailwall ] && conf="$WORK/clamdscan-mailwall.conf"
      t0=$(date +%s.%N)
      n=$(timeout 1800 clamdscan --config-file="$conf" --stream -m --no-summary -f "$WORK/corpus/list.txt" 2>&1 | grep -c 'FOUND$' || true)
      fps=$(awk -v a="$t0" -v b="$(date +%s.%N)" -v n="$N" 'BEGIN{printf "%.1f", n/(b-a)}')
      log "clamdscan --stream -m -> $d run $r: $fps files/s, $n FOUND"
      if [ "$d" = clamd ]; then cs_cl+=("$fps"); else cs_mw+=("$fps"); fi
    done
  done
  CS_LINE="; clamdscan --stream -m: mailwall $(median "${cs_mw[@]}") files/s, clamd $(median "${cs_cl[@]}") files/s"
fi
CL_MBS=$(median "${cl_mbs[@]}"); CL_FPS=$(median "${cl_fps[@]}"); CL_RSS=$(hwm_mb "$CL_PID")
MW_MBS=$(median "${mw_mbs[@]}"); MW_FPS=$(median "${mw_fps[@]}"); MW_RSS=$(hwm_mb "$MW_PID")
[ "$cl_found" = "$mw_found" ] || log "WARNING: found differs: clamd $cl_found, mailwall $mw_found"
log "idle rss: clamd $CL_IDLE MB, mailwall $MW_IDLE MB; found per run: clamd $cl_found, mailwall $mw_found"
# MB per CPU-second of the daemon: the cost of scanning, steadier than wall
# time on a machine shared with other work.
TOTAL_MB=$(awk -v b="$BYTES" -v p="$PASSES" -v r="$RUNS" 'BEGIN{print b*p*r}')
log "MB per CPU-second: clamd $(awk -v m="$TOTAL_MB" -v c="$cl_cpu" 'BEGIN{printf "%.1f", m/c}'), mailwall $(awk -v m="$TOTAL_MB" -v c="$mw_cpu" 'BEGIN{printf "%.1f", m/c}')"
awk -v mc="$(awk -v m="$TOTAL_MB" -v c="$mw_cpu" 'BEGIN{print m/c}')" -v cc="$(awk -v m="$TOTAL_MB" -v c="$cl_cpu" 'BEGIN{print m/c}')" -v mm="$MW_MBS" -v mf="$MW_FPS" -v mr="$MW_RSS" -v cm="$CL_MBS" -v cf="$CL_FPS" -v cr="$CL_RSS" -v n="$RUNS" -v g="$MW_GOGC" -v cs="$CS_LINE" 'BEGIN{
  printf "clamd-bench: mailwall %.1f MB/s %.1f files/s %.1f MB/cpu-s rss %d MB | clamd %.1f MB/s %.1f files/s %.1f MB/cpu-s rss %d MB | ratio %.2fx MB/s, %.2fx MB/cpu-s, %.2fx rss (median of %d, mailwall GOGC=%d)%s\n",
    mm, mf, mc, mr, cm, cf, cc, cr, mm/cm, mc/cc, mr/cr, n, g, cs }'
