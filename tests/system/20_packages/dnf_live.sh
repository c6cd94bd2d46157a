#!/usr/bin/env bash
# The dnf provider against the real dnf and rpm (Debian's dnf 4 and rpm
# 4.18) in a throwaway root: noarch rpms built with rpmbuild, a local
# repository made by createrepo_c, then install, pin a version, latest
# (upgrade), remove; --noop changes nothing; a second run changes nothing;
# every state is read back from the real rpm database. Last, `tlaloc adopt`
# of a root whose package manager is dnf lists what was installed by hand.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
for t in dnf rpmbuild createrepo_c; do
	command -v $t >/dev/null || { echo "needs $t (dnf, rpm, createrepo-c)"; exit 77; }
done

top=/tmp/rpmtop repo=/tmp/rpmrepo
mkdir -p $top/SPECS $repo
# mkrpm NAME VERSION: a noarch rpm (release 1) owning /usr/share/NAME/VERSION
mkrpm() {
	local spec=$top/SPECS/$1-$2.spec
	cat >"$spec" <<SPEC
Name: $1
Version: $2
Release: 1
Summary: tlaloc test package
License: MIT
BuildArch: noarch
%description
tlaloc test package
%install
mkdir -p %{buildroot}/usr/share/$1
echo $2 > %{buildroot}/usr/share/$1/VERSION
%files
/usr/share/$1/VERSION
SPEC
	rpmbuild --define "_topdir $top" -bb "$spec" >/tmp/rpmbuild.log 2>&1 ||
	    { cat /tmp/rpmbuild.log; fail "rpmbuild $1 $2"; }
	cp $top/RPMS/noarch/$1-$2-1.noarch.rpm $repo/
}
reindex() { createrepo_c -q --update $repo || fail "createrepo_c"; dnf -q makecache >/dev/null 2>&1; }
rpm_version() { # NAME: version-release, or "absent", from the rpm database
	local v
	v=$(rpm -q --qf '%{VERSION}-%{RELEASE}' "$1" 2>/dev/null) || v=absent
	echo "$v"
}

mkrpm tl-up 1.0; mkrpm tl-pin 1.0; mkrpm tl-pin 2.0; mkrpm tl-gone 1.0; mkrpm tl-hand 3.0
mkdir -p /etc/yum.repos.d /etc/dnf/vars
cat >/etc/yum.repos.d/tlaloc-test.repo <<REPO
[tlaloc-test]
name=tlaloc test packages
baseurl=file://$repo
gpgcheck=0
metadata_expire=0
REPO
# Debian has no *-release package for dnf to read the release from.
echo 12 >/etc/dnf/vars/releasever
reindex
dnf -y -q install tl-gone >/dev/null 2>&1 || fail "setup: dnf install tl-gone"
[ "$(rpm_version tl-gone)" = 1.0-1 ] || fail "setup: tl-gone not in the rpm database"

R=/tmp/r; mkdir -p $R
cat >$R/a.lua <<'LUA'
package{name = "tl-up", ensure = "latest", provider = "dnf"}
package{name = "tl-pin", ensure = "1.0-1", provider = "dnf"}
package{name = "tl-gone", ensure = "absent", provider = "dnf"}
LUA
tapply 2 $R/a.lua --noop
assert_contains "$OUT" "package[tl-up]: install tl-up 1.0-1"
assert_contains "$OUT" "package[tl-pin]: install tl-pin 1.0-1"
assert_contains "$OUT" "package[tl-gone]: remove tl-gone 1.0-1"
[ "$(rpm_version tl-up)" = absent ] || fail "--noop installed tl-up"
[ "$(rpm_version tl-gone)" = 1.0-1 ] || fail "--noop removed tl-gone"

tapply 2 $R/a.lua
[ "$(rpm_version tl-up)" = 1.0-1 ] || fail "tl-up: $(rpm_version tl-up)"
[ "$(rpm_version tl-pin)" = 1.0-1 ] || fail "tl-pin: $(rpm_version tl-pin) (the pin must win over the newer 2.0)"
[ "$(rpm_version tl-gone)" = absent ] || fail "tl-gone still installed"
[ "$(cat /usr/share/tl-pin/VERSION)" = 1.0 ] || fail "tl-pin's file is not the 1.0 one"
tapply 0 $R/a.lua
assert_not_contains "$(settled)" "package["

# a new version in the repository: latest upgrades, the pin holds
mkrpm tl-up 1.1; reindex
tapply 2 $R/a.lua
assert_contains "$OUT" "package[tl-up]: upgrade tl-up 1.0-1 -> 1.1-1"
assert_not_contains "$OUT" "tl-pin"
[ "$(rpm_version tl-up)" = 1.1-1 ] || fail "tl-up not upgraded: $(rpm_version tl-up)"
[ "$(rpm_version tl-pin)" = 1.0-1 ] || fail "the pin moved: $(rpm_version tl-pin)"
tapply 0 $R/a.lua

# moving the pin up is an upgrade to exactly that version
sed -i 's/ensure = "1.0-1"/ensure = "2.0-1"/' $R/a.lua
tapply 2 $R/a.lua
assert_contains "$OUT" "package[tl-pin]: tl-pin 1.0-1 -> 2.0-1"
[ "$(rpm_version tl-pin)" = 2.0-1 ] || fail "tl-pin not moved to 2.0-1"
tapply 0 $R/a.lua

# a name no repository has: a failure naming it, nothing else changes
cat >$R/b.lua <<'LUA'
package{name = "tl-nosuch", provider = "dnf"}
LUA
tapply 4 $R/b.lua
assert_contains "$OUT" "tl-nosuch"
[ "$(rpm_version tl-up)" = 1.1-1 ] || fail "a failed run changed tl-up"

# adopt on a root whose package manager is dnf: hide dpkg's database so
# the root reads as an rpm system (the sandbox's overlay keeps the host's)
dnf -y -q install tl-hand >/dev/null 2>&1 || fail "setup: dnf install tl-hand"
mv /var/lib/dpkg/status /var/lib/dpkg/status.hidden
out=$("$TLALOC" adopt --out /tmp/adopted --only packages 2>&1) || { echo "$out"; fail "adopt failed"; }
mv /var/lib/dpkg/status.hidden /var/lib/dpkg/status
grep -rq 'package.install "tl-hand"' /tmp/adopted || { cat /tmp/adopted/*.lua; fail "adopt did not list tl-hand, installed by hand with dnf"; }
grep -rq 'dnf repoquery --userinstalled' /tmp/adopted || fail "adopt does not say why tl-hand is listed"
echo "ok: dnf install, pin, latest, remove, idempotence and adopt against the real dnf and rpm"
