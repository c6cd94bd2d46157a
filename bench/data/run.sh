#!/bin/bash
# bench/data: tlaloc lookup against puppet lookup on the same Hiera 5
# data (1,000 keys x 5 levels, gen.py), and the cost of opening secrets.
#   bench/data/run.sh [RUNS [lookup|secrets]]   (RUNS default 5; the
#   median is printed; both parts unless one is named)
# Needs puppet (Debian: apt-get install puppet) and a built tlaloc
# (TLALOC=path, default build/tlaloc). Writes only under a scratch dir.
set -eu -o pipefail
RUNS=${1:-5}
PART=${2:-all}
HERE=$(cd "$(dirname "$0")" && pwd)
T=${TLALOC:-$HERE/../../build/tlaloc}
W=$(mktemp -d /tmp/tlaloc-bench-data.XXXXXX)
trap 'rm -rf "$W"' EXIT
python3 "$HERE/gen.py" "$W"
cd "$W"
FACTS="--fact role=web --fact dc=fra1 --fact tier=prod"
PUP="--node web-01.example --facts $W/facts.yaml --environmentpath $W/env
    --environment production --confdir $W/pconf --vardir $W/pvar
    --codedir $W/pcode"
mkdir -p pconf pvar pcode

# median NAME CMD...: runs CMD RUNS times; prints the median wall and
# CPU (user + sys) time in ms.
median() {
	name=$1; shift
	for i in $(seq "$RUNS"); do
		rc=0
		/usr/bin/time -f "%e %U %S" -o "$W/time" "$@" > "$W/out" \
		    2>&1 || rc=$?
		# apply --noop exits 2 when it would change something
		[ "$rc" = 0 ] || [ "$rc" = 2 ] ||
		    { echo "FAILED: $*" >&2; cat "$W/out" >&2; exit 1; }
		tail -n 1 "$W/time" | awk -v k="${REPEAT:-1}" \
		    '{ printf "%.1f %.1f\n", $1 * 1000 / k, ($2 + $3) * 1000 / k }'
	done | sort -n | awk -v n="$name" '{ w[NR] = $1; c[NR] = $2 }
	    END { m = int((NR + 1) / 2)
	        printf "%-54s %8.1f ms wall %8.1f ms cpu\n", n, w[m], c[m] }'
}

lookups() {
# 1. One key, a cold process each (what an operator types).
median "tlaloc lookup key_0010 (deep merge, 5 levels)" \
    $T lookup key_0010 --policy policy --node web-01.example $FACTS
median "puppet lookup key_0010 (deep merge, 5 levels)" \
    puppet lookup key_0010 $PUP

# 2. Every key: a recipe (or manifest) that looks up all 1,000.
{ echo "local v = {}"; while read -r k; do
	echo "v[#v + 1] = lookup(\"$k\")"; done < keys; } > policy/site.lua
{ echo "\$v = ["; while read -r k; do echo "  lookup('$k'),"; done < keys
  echo "]"; echo "notice(length(\$v))"; } > all.pp
median "tlaloc lookup: 1,000 keys in one call" \
    $T lookup $(cat keys) --policy policy --node web-01.example $FACTS
median "tlaloc check: recipe with 1,000 lookup() calls" \
    $T check policy --node web-01.example $FACTS
median "puppet apply --noop: manifest with 1,000 lookup()" \
    env FACTER_role=web FACTER_dc=fra1 FACTER_tier=prod puppet apply \
    --noop --certname web-01.example --environmentpath "$W/env" \
    --environment production --confdir "$W/pconf" --vardir "$W/pvar" \
    --codedir "$W/pcode" all.pp

}

secrets() {
# 3. Secrets: sealing to 1,000 nodes, and opening them while compiling.
$T keys operator gen --out op >/dev/null
$T init --config-dir node/etc --state-dir node/state --name web-01 >/dev/null
python3 - node/state/node.key > nodes <<'PY'
import base64, sys
sk = base64.b64decode(open(sys.argv[1]).read().split()[-1])
print("web-01", base64.b64encode(sk[32:]).decode(), "pack=web")
PY
for i in $(seq 2 1000); do
	$T init --config-dir "k/$i/etc" --state-dir "k/$i/state" \
	    --name "n$i" >/dev/null 2>&1
done
python3 - nodes k <<'PY'
import base64, os, sys
with open(sys.argv[1], "a") as f:
    for i in range(2, 1001):
        raw = open("%s/%d/state/node.key" % (sys.argv[2], i)).read()
        sk = base64.b64decode(raw.split()[-1])
        f.write("n%d %s pack=web\n" % (i, base64.b64encode(sk[32:]).decode()))
PY
mkdir -p sp
printf 'a-db-password-of-32-bytes-000000' > value
median "tlaloc secret set: seal one value to 1,000 nodes" \
    $T secret set s --for pack=web --from value --key op/operator.key \
    --policy sp --node-key nodes
median "tlaloc secret set: seal one value to 1 node" \
    $T secret set s1 --for web-01 --from value --key op/operator.key \
    --policy sp --node-key nodes
for i in $(seq 100); do
	$T secret set "s$i" --for web-01 --from value --key op/operator.key \
	    --policy sp --node-key nodes >/dev/null
done
echo 'file { path = "/x.conf", content = "x" }' > sp/site.lua
# apply runs take a few ms: each sample is 20 runs, divided by 20
# (/usr/bin/time counts CPU in 10 ms steps).
export REPEAT=20
APPLY20="for i in \$(seq 20); do $T apply sp --noop --root node --state-dir node/state >/dev/null; [ \$? = 2 ] || exit 1; done"
median "tlaloc apply --noop: recipe opening 0 secrets" bash -c "$APPLY20"
{ for i in $(seq 100); do echo "local v$i = secret(\"s$i\")"; done
  echo 'file { path = "/x.conf", content = "x" }'; } > sp/site.lua
median "tlaloc apply --noop: recipe opening 100 secrets" bash -c "$APPLY20"
{ echo 'local v = secret("s")'
  echo 'file { path = "/x.conf", content = "x" }'; } > sp/site.lua
median "tlaloc apply --noop: 1 secret sealed to 1,000 nodes" \
    bash -c "$APPLY20"
unset REPEAT
}

case $PART in
lookup) lookups;;
secrets) secrets;;
*) lookups; secrets;;
esac
