#!/bin/bash
# The converge loop's other triggers: the schedule (--interval) puts back
# what no watch covers (a removed directory), `tlaloc converge` runs at
# once, and a run with a failed resource is retried with backoff.
BASE_PORT=${BASE_PORT:-$((10000 + $(od -An -N2 -tu2 /dev/urandom) % 100 * 100))}
. "$(dirname "$0")/lib.sh"
OP=$WORK/op
R=$WORK/root1
mkdir -p "$OP" "$WORK/recipe" "$R/etc"
$T keys operator gen --out "$OP" >/dev/null || fail "operator key"
# First without /srv: the run fails and is retried with backoff.
cat > "$WORK/recipe/site.lua" <<'EOF2'
directory { path = "/srv/data" }
EOF2
start_agent 1 --trust "$OP/operator.pub" --root "$R" --interval 3 --splay 0
wait_for 10 "agent up" all_see 1 1 alive 1
$T publish "$WORK/recipe" --key "$OP/operator.key" --state-dir "$(sd 1)" \
    >/dev/null || fail "publish"
retried() { [ "$(grep -c "converging policy serial 1 (retry after failure)" \
    "$WORK/n1.log")" -ge 1 ]; }
wait_for 10 "a failed run is retried" retried
grep -q "1 failed (directory\[/srv/data\])" "$WORK/n1.log" ||
    fail "the failure is not logged with its resource"
$T status --state-dir "$(sd 1)" | grep -q "^n1 *failing" ||
    fail "status does not show n1 failing"
mkdir "$R/srv"
wait_for 10 "the retry converges once /srv exists" test -d "$R/srv/data"

rmdir "$R/srv/data"
wait_for 8 "the schedule puts the directory back" test -d "$R/srv/data"
grep -q "converging policy serial 1 (schedule)" "$WORK/n1.log" ||
    fail "no scheduled run logged"

$T converge "asked by the test" --state-dir "$(sd 1)" |
    grep -q "converge requested" || fail "tlaloc converge"
wait_for 5 "the requested run" grep -q "(asked by the test)" "$WORK/n1.log"
echo "ok: schedule and request"
