# Shared by the system tests: a scratch root and state dir per test, a few
# assertions that say what they expected, and cleanup on exit.
set -u
TLALOC=${TLALOC:-$PWD/${TLALOC_BUILD:-build}/tlaloc}
T=$(mktemp -d /tmp/tlaloc-sys.XXXXXX)
ROOT=$T/root STATE=$T/state RECIPES=$T/recipes
mkdir -p "$ROOT" "$STATE" "$RECIPES"
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# apply EXPECTED_EXIT ARGS...: runs tlaloc apply into ROOT, output in $OUT
apply() {
	local want=$1; shift
	OUT=$("$TLALOC" apply --root "$ROOT" --state-dir "$STATE" "$@" 2>&1)
	RC=$?
	[ "$RC" = "$want" ] || { echo "$OUT" >&2; fail "apply $* exited $RC, wanted $want"; }
}
assert_file() { # path content
	[ -f "$ROOT$1" ] || fail "$1 is missing"
	[ "$(cat "$ROOT$1")" = "$2" ] || fail "$1 holds '$(cat "$ROOT$1")', wanted '$2'"
}
assert_contains() { # haystack needle
	case "$1" in *"$2"*) ;; *) echo "$1" >&2; fail "output lacks '$2'";; esac
}
assert_not_contains() {
	case "$1" in *"$2"*) echo "$1" >&2; fail "output has '$2'";; esac
}
# tree_sum DIR: a digest of every path, type, mode and content under DIR
tree_sum() {
	(cd "$1" && find . -printf '%p %y %m %l\n' | sort && find . -type f -print0 | sort -z | xargs -0 -r sha256sum) | sha256sum
}
