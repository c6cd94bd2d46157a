# A failing resource skips what depends on it; everything else converges;
# the exit code says changes and failures (6), the report says why.
. tests/system/lib/common.sh
cat > "$RECIPES/site.lua" <<'LUA'
local broken = exec { name = "broken", command = {"/bin/sh", "-c", "echo boom; exit 3"}, host = true }
file { path = "/after-broken", content = "x\n", require = broken }
file { path = "/independent", content = "y\n" }
exec { name = "hangs", command = {"sleep", "30"}, timeout = 1, host = true }
file { path = "/after-hang", content = "z\n", require = "exec[hangs]" }
LUA
apply 6 "$RECIPES"
assert_contains "$OUT" "failed    exec[broken]: exited 3: boom"
assert_contains "$OUT" "skipped   file[/after-broken]: exec[broken] failed"
assert_contains "$OUT" "failed    exec[hangs]: killed after 1 s (timeout)"
assert_contains "$OUT" "skipped   file[/after-hang]"
assert_file /independent "y"
[ ! -e "$ROOT/after-broken" ] || fail "a dependent of a failure ran"
"$TLALOC" apply "$RECIPES" --root "$ROOT" --state-dir "$STATE" --json > "$T/r.json"
python3 - "$T/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
res = {x["ref"]: x for x in r["resources"]}
assert r["summary"]["failed"] == 2, r["summary"]
assert r["summary"]["skipped"] == 2, r["summary"]
assert res["file[/after-broken]"]["result"] == "skipped"
assert res["file[/independent]"]["result"] == "unchanged"
assert res["exec[broken]"]["error"].startswith("exited 3")
PY
