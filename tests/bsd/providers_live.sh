#!/bin/sh
# The package and service providers against the real tools of a FreeBSD 14
# or OpenBSD 7.x machine. NOT run by CI (this project's CI has no BSD
# image): run it by hand, as root, on a throwaway VM, as
# docs/testing-on-bsd.md describes. It installs and removes one small
# package from the official repository and starts, restarts, enables and
# disables one service of its own; it changes nothing else.
#
#   sh tests/bsd/providers_live.sh [PATH-TO-tlaloc]
#
# Exit 0 and a last line "ok: ..." when every check held.
set -u
T=${1:-./build/tlaloc}
os=$(uname -s)
pkgname=figlet
svc=tlaloctest
work=$(mktemp -d /tmp/tlaloc-bsd.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root, on a throwaway machine"
[ -x "$T" ] || fail "no tlaloc binary at $T (build it first: gmake)"

# apply WANT RECIPE [ARGS]: runs tlaloc apply, prints its output, checks the
# exit code (0 nothing changed, 2 changed, 4 failed).
apply() {
	want=$1; shift
	out=$("$T" apply --state-dir "$work/state" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/    /'
	[ "$rc" = "$want" ] || fail "apply $* exited $rc, wanted $want"
}
has() { printf '%s\n' "$out" | grep -qF -- "$1" || fail "output lacks '$1'"; }

case $os in
FreeBSD)
	pinstalled() { pkg query '%n' "$pkgname" >/dev/null 2>&1; }
	rcdir=/usr/local/etc/rc.d
	enabled() { sysrc -n "${svc}_enable" 2>/dev/null | grep -qi yes; }
	running() { service "$svc" onestatus >/dev/null 2>&1; }
	cat >"$rcdir/$svc" <<'RC'
#!/bin/sh
# PROVIDE: tlaloctest
. /etc/rc.subr
name=tlaloctest
rcvar=tlaloctest_enable
pidfile=/var/run/tlaloctest.pid
command=/usr/sbin/daemon
command_args="-p ${pidfile} /bin/sleep 100000"
load_rc_config $name
run_rc_command "$1"
RC
	;;
OpenBSD)
	pinstalled() { pkg_info -e "$pkgname-*" >/dev/null 2>&1; }
	rcdir=/etc/rc.d
	enabled() { rcctl ls on | grep -qx "$svc"; }
	running() { rcctl check "$svc" >/dev/null 2>&1; }
	cat >"$rcdir/$svc" <<'RC'
#!/bin/ksh
daemon="/bin/sleep"
daemon_flags="100000"
. /etc/rc.d/rc.subr
rc_bg=YES
rc_reload=NO
rc_cmd $1
RC
	;;
*)
	fail "this script is for FreeBSD and OpenBSD, not $os"
	;;
esac
chmod 0555 "$rcdir/$svc"
pinstalled && fail "$pkgname is already installed: use a fresh VM"

echo "== packages ($os)"
cat >"$work/p.lua" <<LUA
package{name = "$pkgname"}
LUA
apply 2 "$work/p.lua" --noop
has "package[$pkgname]: install $pkgname"
pinstalled && fail "--noop installed $pkgname"
apply 2 "$work/p.lua"
pinstalled || fail "$pkgname not installed"
apply 0 "$work/p.lua"
cat >"$work/q.lua" <<LUA
package{name = "$pkgname", ensure = "absent"}
package{name = "tlaloc-no-such-package"}
LUA
apply 6 "$work/q.lua"
has "package[$pkgname]: remove $pkgname"
has "tlaloc-no-such-package"
pinstalled && fail "$pkgname still installed"

echo "== services ($os)"
cat >"$work/s.lua" <<LUA
service{name = "$svc", ensure = "running", enable = true}
file{path = "$work/$svc.conf", content = "a\\n", notify = "service[$svc]"}
LUA
apply 2 "$work/s.lua"
has "service[$svc]: start (was stopped)"
has "service[$svc]: enable at boot"
running || fail "$svc not running"
enabled || fail "$svc not enabled"
apply 0 "$work/s.lua"
sed 's/"a\\n"/"b\\n"/' "$work/s.lua" >"$work/s2.lua"
apply 2 "$work/s2.lua"
has "service[$svc]: refreshed (notified)"
cat >"$work/t.lua" <<LUA
service{name = "$svc", ensure = "stopped", enable = false}
LUA
apply 2 "$work/t.lua"
has "service[$svc]: stop (was running)"
has "service[$svc]: disable at boot"
running && fail "$svc still running"
enabled && fail "$svc still enabled"
apply 0 "$work/t.lua"
rm -f "$rcdir/$svc"
echo "ok: $os packages and services through the real tools"
