#!/usr/bin/env bash
# The dnf/yum and pacman providers' state queries against the real rpm and
# pacman (Debian packages both; dnf and pacman's repositories are not
# here, so only observing is exercised for real): packages installed in
# the sandbox's rpm database (built with rpmbuild) and pacman database are
# seen as installed, at their versions, with one query each.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
command -v rpmbuild >/dev/null && command -v pacman >/dev/null || { echo "needs rpm and pacman-package-manager"; exit 77; }

# rpm: two packages, one with an epoch, in the default database
top=/tmp/rpmtop; mkdir -p $top/SPECS
for spec in "tl-rpm 0 1.2 3" "tl-epoch 2 0.9 1"; do
	set -- $spec
	{ echo "Name: $1"; [ "$2" != 0 ] && echo "Epoch: $2"
	  printf 'Version: %s\nRelease: %s\nSummary: t\nLicense: MIT\nBuildArch: noarch\n%%description\nt\n%%files\n' "$3" "$4"; } >$top/SPECS/$1.spec
	rpmbuild --define "_topdir $top" -bb $top/SPECS/$1.spec >/dev/null 2>&1 || fail "rpmbuild $1"
done
rpm --initdb 2>/dev/null
rpm -i --nodeps --justdb $(find $top/RPMS -name '*.rpm') 2>/dev/null || fail "rpm -i"

# pacman: a local database in pacman's on-disk format
db=/var/lib/pacman/local; mkdir -p $db/tl-pac-2.1-1; echo 9 >$db/ALPM_DB_VERSION
printf '%%NAME%%\ntl-pac\n\n%%VERSION%%\n2.1-1\n\n' >$db/tl-pac-2.1-1/desc

R=/tmp/r; mkdir -p $R
cat >$R/a.lua <<'LUA'
package{names = {"tl-rpm", "tl-epoch"}, provider = "dnf"}
package{name = "tl-epoch", ensure = "2:0.9-1", provider = "yum"}
package{name = "tl-pac", provider = "pacman"}
LUA
tapply 0 $R/a.lua --noop
cat >$R/b.lua <<'LUA'
package{name = "tl-rpm", ensure = "absent", provider = "dnf"}
package{name = "tl-pac", ensure = "absent", provider = "pacman"}
LUA
tapply 2 $R/b.lua --noop
assert_contains "$OUT" "package[tl-rpm]: remove tl-rpm 1.2-3"
assert_contains "$OUT" "package[tl-pac]: remove tl-pac 2.1-1"
echo "ok: rpm and pacman queries"
