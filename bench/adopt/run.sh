#!/usr/bin/env bash
# bench/adopt: how long `tlaloc adopt` takes and how big its output is, in
# a throwaway root (tests/system/lib/sandbox.sh), for
#   1. the round-trip test's hand-made server (tests/system/70_adopt/lib.sh)
#   2. this Debian system plus 50 extra local packages, each with a
#      conffile (half of them edited) and an unowned file beside it
# and, for comparison, Puppet's closest built-in, `puppet resource package`
# and `puppet resource user` (which list resources; they write no recipe
# and know nothing of changed conffiles, unowned files or crontabs).
#
#   TLALOC_BUILD=build bench/adopt/run.sh      (as root; ~1 minute)
cd "$(dirname "$0")/../.." || exit 1
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
REPO=/var/tmp/repo
. tests/system/lib/debrepo.sh
. tests/system/70_adopt/lib.sh
RUNS=${RUNS:-5}

# median_ms CMD...: the median wall time of RUNS runs, in ms
median_ms() {
	local i t0 ts=()
	for i in $(seq "$RUNS"); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1
		ts+=($(( ($(date +%s%N) - t0) / 1000000 )))
	done
	printf '%s\n' "${ts[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

adopt_to() { rm -rf "$2"; "$TLALOC" adopt --root "$1" --out "$2"; }

# size OUT: files, recipe files, recipe lines, declarations
size() {
	echo "$(find "$1" -type f | wc -l) files, $(ls "$1"/recipes | wc -l) recipe files," \
	    "$(cat "$1"/site.lua "$1"/recipes/*.lua | wc -l) lines of Lua," \
	    "$(cat "$1"/recipes/*.lua | grep -cE '^[a-z.]+[{ ]') declarations," \
	    "$(du -sh "$1" | cut -f1)"
}

adopt_repo
mkroot a
configure_by_hand /tmp/a/root
echo "== 1. the round-trip test's hand-made server (Debian 12, $(dpkg -l | grep -c ^ii) packages installed)"
echo "tlaloc adopt:            $(median_ms adopt_to /tmp/a/root /tmp/out1) ms (median of $RUNS)"
echo "output:                  $(size /tmp/out1)"
mkroot b
t0=$(date +%s%N); "$TLALOC" apply --root /tmp/b/root --state-dir /tmp/st /tmp/out1 >/dev/null 2>&1; rc=$?
echo "apply to a fresh root:   $(( ($(date +%s%N) - t0) / 1000000 )) ms (exit $rc)"
t0=$(date +%s%N); "$TLALOC" apply --root /tmp/b/root --state-dir /tmp/st /tmp/out1 >/dev/null 2>&1; rc=$?
echo "apply again:             $(( ($(date +%s%N) - t0) / 1000000 )) ms (exit $rc)"

echo "== 2. this system + 50 extra packages (conffiles, 25 edited, 50 unowned files)"
for i in $(seq -w 1 50); do
	d=$(mktemp -d)
	mkdir -p $d/DEBIAN $d/etc/tl-bench-$i
	printf 'Package: tl-bench-%s\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@t.invalid>\nDescription: bench\n' $i >$d/DEBIAN/control
	echo /etc/tl-bench-$i/main.conf >$d/DEBIAN/conffiles
	printf 'setting = %s\n' $i >$d/etc/tl-bench-$i/main.conf
	dpkg-deb -Zgzip --root-owner-group --build $d $REPO/tl-bench-${i}_1.0_all.deb >/dev/null
	rm -rf $d
done
repo_index
apt-get install -y -q $(for i in $(seq -w 1 50); do echo tl-bench-$i; done) >/tmp/apt.log 2>&1 || { tail /tmp/apt.log; exit 1; }
for i in $(seq -w 1 25); do echo 'tuned = yes' >>/etc/tl-bench-$i/main.conf; done
for i in $(seq -w 1 50); do echo local >/etc/tl-bench-$i/local.conf; done
echo "packages installed: $(dpkg -l | grep -c ^ii), by hand: $(apt-mark showmanual | wc -l)"
echo "tlaloc adopt:            $(median_ms adopt_to / /tmp/out2) ms (median of $RUNS)"
echo "output:                  $(size /tmp/out2)"
echo "apt-mark showmanual:     $(median_ms apt-mark showmanual) ms"
echo "== Puppet's closest built-ins, same system"
RUNS=3
# puppet_line WHAT: median time, resources listed and the exit status
puppet_line() {
	local n rc
	n=$(puppet resource "$1" 2>/dev/null | grep -c "^$1 {"); rc=${PIPESTATUS[0]}
	printf 'puppet resource %-8s %s ms, %s resources, exit %s\n' "$1:" \
	    "$(median_ms puppet resource "$1")" "$n" "$rc"
}
puppet_line package
puppet_line user
puppet_line service
