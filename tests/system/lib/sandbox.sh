# A throwaway root for system tests that touch packages, services, users
# and cron. Source it first thing, then call sandbox_enter:
#
#   . tests/system/lib/sandbox.sh
#   sandbox_enter "$0" "$@"      # re-runs this script inside the sandbox
#
# The script then runs again, as root, in a private mount namespace and PID
# namespace, chrooted into an overlayfs whose lower layer is the host's /
# (read-only in effect) and whose upper layer is a tmpfs: every write (dpkg's
# database, /etc/passwd, crontabs, started daemons) lands in memory and
# vanishes with the namespace. /proc is the sandbox's own, /run and /tmp are
# fresh tmpfs. PID 1 of the sandbox is our init script, so any daemon a test
# starts dies with it. The repository (cwd) is at the same path inside, so
# ${TLALOC_BUILD:-build}/tlaloc runs there, with --root / .
#
# Exit 77 (skip) when the machine cannot do this (not root, no overlayfs).
# Nothing here touches the host's /etc, package database or users.

SANDBOX_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

sandbox_enter() {
	local script=$1; shift
	if [ -n "${TLALOC_SANDBOX:-}" ]; then
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "needs root (unshare, mount)"; exit 77
	fi
	if ! command -v unshare >/dev/null || ! grep -qw overlay /proc/filesystems; then
		echo "needs unshare and overlayfs"; exit 77
	fi
	export TLALOC_SANDBOX=1
	exec unshare --mount --pid --fork --propagation private --kill-child \
	    bash "$SANDBOX_LIB/sandbox-init.sh" "$PWD" "$script" "$@"
}

# --- helpers for use inside the sandbox ----------------------------------

TLALOC=${TLALOC:-$PWD/${TLALOC_BUILD:-build}/tlaloc}
fail() { echo "FAIL: $*" >&2; exit 1; }
assert_contains() { # haystack needle
	case "$1" in *"$2"*) ;; *) echo "$1" >&2; fail "output lacks '$2'";; esac
}
assert_not_contains() {
	case "$1" in *"$2"*) echo "$1" >&2; fail "output has '$2'";; esac
}
# tapply EXPECTED_EXIT RECIPE [ARGS...]: tlaloc apply inside the sandbox
# (root /); output in $OUT, exit code in $RC.
tapply() {
	local want=$1; shift
	OUT=$("$TLALOC" apply --state-dir /tmp/tlaloc-state "$@" 2>&1)
	RC=$?
	[ "$RC" = "$want" ] || { echo "$OUT" >&2; fail "apply $* exited $RC, wanted $want"; }
}
# settled: $OUT without the "running   X: N s so far" lines apply prints
# while a slow check runs (a loaded machine makes any check slow), for
# asserting that a run said nothing about a resource.
settled() {
	printf '%s\n' "$OUT" | grep -v '^running .*: [0-9]* s so far$'
}
# wait_lines FILE N: waits up to 5 s for FILE to have N lines (a daemon
# started in the background logs its start a moment later); returns the
# count it saw.
wait_lines() {
	local i n=0
	for i in $(seq 50); do
		n=$(wc -l <"$1" 2>/dev/null || echo 0)
		[ "$n" -ge "$2" ] && break
		sleep 0.1
	done
	echo "$n"
}
