#!/bin/bash
# Bucket replication: time and bytes to copy a node's backups to 2 peers,
# and the latency of `tlaloc backups restore --from PEER`, with 3 real
# agents of one pack on loopback; then what a user would otherwise run.
#
#   bench/bucket/run.sh [FILES] [BYTES]         default: 100 4096
#
# 1. n1's root holds FILES random files of BYTES each; a published policy
#    rewrites them all, so n1's converge backs up FILES entries.
# 2. A Python poller (5 ms) times: publish -> n1's bucket holds FILES
#    entries (converge done) -> both peers' replicas/*/ (only n1 backs
#    anything up) hold FILES entries (replicated). Bytes: n1's
#    replicas_bytes_sent. TLALOC=path/to/an/older/tlaloc measures the
#    code before sealing (replicas/n1/, plaintext) the same way.
# 3. 20 restores of different files from n2, and 20 `--list`s, each timed
#    as a whole CLI run; median and max.
# 4. The CPU cost of sealing one entry (bench/bucket/seal.c), when the
#    tree has bucket/replica.h's sealing and a build to link against.
# 5. The same with puppet's filebucket (local bucket: it needs a puppet
#    server for --remote) and a plain `cp -a` of the bucket directory.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=${TLALOC:-$ROOT/${TLALOC_BUILD:-build}/tlaloc}
FILES=${1:-100}
BYTES=${2:-4096}
BASE=$((10000 + $(od -An -N2 -tu2 /dev/urandom) % 200 * 100))
. "$ROOT/bench/lib.sh"

$T keys gen --out "$WORK/keyring"
mkdir -p "$WORK/op" "$WORK/recipe"
$T keys operator gen --out "$WORK/op" >/dev/null
for i in 1 2 3; do mkdir -p "$WORK/root$i/etc/b"; done
for f in $(seq -w 1 "$FILES"); do
	head -c "$BYTES" /dev/urandom > "$WORK/root1/etc/b/f$f"
done
cp -a "$WORK/root1/etc/b" "$WORK/orig"
cat > "$WORK/recipe/site.lua" <<EOF
for i = 1, $FILES do
	file { path = string.format("/etc/b/f%0${#FILES}d", i), content = "new\n" }
end
EOF

for i in 1 2 3; do
	$T agent --name "n$i" --bind "127.0.0.1:$((BASE + i))" \
	    --keyring "$WORK/keyring" --state-dir "$WORK/s$i" \
	    --profile local --trust "$WORK/op/operator.pub" --splay 0 \
	    --root "$WORK/root$i" --join "127.0.0.1:$((BASE + 1))" \
	    --pack b --pack-expect 3 --log-level notice > "$WORK/n$i.log" 2>&1 &
	PIDS="$PIDS $!"
done
for i in 1 2 3; do
	until [ "$($T members --state-dir "$WORK/s$i" --status alive \
	    2>/dev/null | wc -l)" -ge 3 ]; do sleep 0.2; done
done

python3 - "$WORK" "$FILES" "$T" <<'EOF'
import glob, subprocess, sys, time
work, n, t = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def lines(p):
    try:
        return sum(1 for _ in open(p))
    except OSError:
        return 0
def kept(j):
    return sum(lines(p) for p in glob.glob("%s/s%d/replicas/*/index" %
                                           (work, j)))
start = time.monotonic()
subprocess.run([t, "publish", work + "/recipe", "--key",
                work + "/op/operator.key", "--state-dir", work + "/s1"],
               check=True, stdout=subprocess.DEVNULL)
conv = repl = None
while time.monotonic() - start < 60:
    now = time.monotonic() - start
    if conv is None and lines(work + "/s1/bucket/index") >= n:
        conv = now
    if conv is not None and all(kept(j) >= n for j in (2, 3)):
        repl = now
        break
    time.sleep(0.005)
if repl is None:
    sys.exit("not replicated within 60 s")
print("publish -> n1 backed up %d files: %.3f s; -> on both peers: %.3f s "
      "(replication %.3f s)" % (n, conv, repl, repl - conv))
EOF
[ $? = 0 ] || exit 1
sleep 1
$T info --json --state-dir "$WORK/s1" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print("n1 sent %d '\
'entries in %d bytes (%.2f x the content)" % (d["replicas_sent"], '\
'd["replicas_bytes_sent"], d["replicas_bytes_sent"] / '"$((FILES * BYTES * 2))"'))'

python3 - "$WORK" "$FILES" "$T" <<'EOF'
import statistics, subprocess, sys, time
work, n, t = sys.argv[1], int(sys.argv[2]), sys.argv[3]
w = len(str(n))
def timed(args):
    s = time.monotonic()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return (time.monotonic() - s) * 1000
rs, ls = [], []
for i in range(1, 21):
    path = "/etc/b/f%0*d" % (w, i)
    ls.append(timed([t, "backups", "restore", path, "--from", "n2", "--list",
                     "--state-dir", work + "/s1"]))
    rs.append(timed([t, "backups", "restore", path, "--from", "n2", "--root",
                     work + "/root1", "--state-dir", work + "/s1"]))
print("restore --from n2: median %.1f ms, max %.1f ms; --list: median %.1f "
      "ms, max %.1f ms (20 runs, whole CLI)" % (statistics.median(rs),
      max(rs), statistics.median(ls), max(ls)))
EOF

# -- the CPU cost of sealing -----------------------------------------------
LIB=$(dirname "$T")/libtlaloc.a
if [ -f "$LIB" ] && grep -q repl_seal "$ROOT/src/bucket/replica.h"; then
	cc -std=c11 -D_GNU_SOURCE -O2 -I"$ROOT/src" "$ROOT/bench/bucket/seal.c" \
	    "$LIB" $(pkg-config --libs libsodium libuv lua5.4 \
	    libpcre2-8) -lm -o "$WORK/seal" && "$WORK/seal"
fi

# -- what a user would otherwise do ---------------------------------------
if command -v puppet >/dev/null; then
	PB=$WORK/pbucket
	s=$(date +%s.%N)
	puppet filebucket backup --local --bucket "$PB" "$WORK"/orig/* \
	    >/dev/null 2>&1
	printf "puppet filebucket backup --local of %d files: %.2f s\n" \
	    "$FILES" "$(echo "$(date +%s.%N) - $s" | bc)"
	sum=$(md5sum "$WORK/orig/$(ls "$WORK/orig" | head -1)" | cut -d' ' -f1)
	s=$(date +%s.%N)
	puppet filebucket restore --local --bucket "$PB" "$WORK/restored" \
	    "$sum" >/dev/null 2>&1
	printf "puppet filebucket restore --local of one file: %.2f s\n" \
	    "$(echo "$(date +%s.%N) - $s" | bc)"
	if ! puppet filebucket backup --remote --server 127.0.0.1 \
	    "$WORK/orig/$(ls "$WORK/orig" | head -1)" >"$WORK/premote" 2>&1
	then
		echo "puppet filebucket --remote: fails without a puppet" \
		    "server: $(grep -m1 -o 'Error:.*' "$WORK/premote" | cut -c1-100)"
	fi
fi
s=$(date +%s.%N)
cp -a "$WORK/s1/bucket" "$WORK/bucket.copy"
printf "cp -a of n1's bucket dir (%s): %.3f s\n" \
    "$(du -sh "$WORK/s1/bucket" | cut -f1)" "$(echo "$(date +%s.%N) - $s" | bc)"
