#!/usr/bin/env bash
# The pacman provider against the real pacman (Debian's
# pacman-package-manager 6.0) in a throwaway root: packages built with
# makepkg by an unprivileged user (makepkg refuses root), a local
# repository made by repo-add, then install, latest (upgrade), remove;
# --noop changes nothing; a second run changes nothing; a name no
# repository has fails alone while the others of the same run install;
# every state is read back with the real `pacman -Q`. Last, `tlaloc adopt`
# of a root whose package manager is pacman lists what was installed by
# hand.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
for t in pacman makepkg repo-add bsdtar; do
	command -v $t >/dev/null || { echo "needs $t (pacman-package-manager, makepkg, libarchive-tools)"; exit 77; }
done

repo=/tmp/pacrepo builds=/tmp/pkgbuild
mkdir -p $repo $builds
useradd -m tlbuild || fail "setup: useradd tlbuild"
# mkpkg NAME VERSION: built by tlbuild with makepkg, added to the repository
mkpkg() {
	local d=$builds/$1-$2
	mkdir -p "$d"
	cat >"$d/PKGBUILD" <<PKG
pkgname=$1
pkgver=$2
pkgrel=1
pkgdesc="tlaloc test package"
arch=(any)
license=(MIT)
options=(!strip !debug)
package() {
	mkdir -p "\$pkgdir/usr/share/$1"
	echo $2 > "\$pkgdir/usr/share/$1/VERSION"
}
PKG
	chown -R tlbuild "$d"
	(cd "$d" && su tlbuild -s /bin/sh -c 'makepkg -d --noconfirm' >/tmp/makepkg.log 2>&1) ||
	    { tail -20 /tmp/makepkg.log; fail "makepkg $1 $2"; }
	cp "$d"/$1-$2-1-any.pkg.tar.* $repo/
	repo-add -q $repo/tltest.db.tar.gz "$d"/$1-$2-1-any.pkg.tar.* || fail "repo-add $1"
}
sync_db() { pacman -Sy >/dev/null 2>&1 || fail "pacman -Sy"; }
pac_version() { # NAME: version-release, or "absent", from pacman's database
	local v
	v=$(pacman -Q "$1" 2>/dev/null) || { echo absent; return; }
	echo "${v#* }"
}

mkpkg tl-up 1.0; mkpkg tl-gone 1.0; mkpkg tl-new 1.0; mkpkg tl-hand 3.0
cat >/etc/pacman.conf <<CONF
[options]
Architecture = auto
SigLevel = Never

[tltest]
SigLevel = Never
Server = file://$repo
CONF
sync_db
pacman -S --noconfirm tl-gone >/dev/null 2>&1 || fail "setup: pacman -S tl-gone"
[ "$(pac_version tl-gone)" = 1.0-1 ] || fail "setup: tl-gone not in pacman's database"

R=/tmp/r; mkdir -p $R
cat >$R/a.lua <<'LUA'
package{name = "tl-up", ensure = "latest", provider = "pacman"}
package{name = "tl-gone", ensure = "absent", provider = "pacman"}
LUA
tapply 2 $R/a.lua --noop
assert_contains "$OUT" "package[tl-up]: install tl-up 1.0-1"
assert_contains "$OUT" "package[tl-gone]: remove tl-gone 1.0-1"
[ "$(pac_version tl-up)" = absent ] || fail "--noop installed tl-up"
[ "$(pac_version tl-gone)" = 1.0-1 ] || fail "--noop removed tl-gone"

tapply 2 $R/a.lua
[ "$(pac_version tl-up)" = 1.0-1 ] || fail "tl-up: $(pac_version tl-up)"
[ "$(pac_version tl-gone)" = absent ] || fail "tl-gone still installed"
[ "$(cat /usr/share/tl-up/VERSION)" = 1.0 ] || fail "tl-up's file is missing"
tapply 0 $R/a.lua
assert_not_contains "$(settled)" "package["

# a new version in the repository: latest upgrades
mkpkg tl-up 1.1; sync_db
tapply 2 $R/a.lua
assert_contains "$OUT" "package[tl-up]: upgrade tl-up 1.0-1 -> 1.1-1"
[ "$(pac_version tl-up)" = 1.1-1 ] || fail "tl-up not upgraded: $(pac_version tl-up)"
tapply 0 $R/a.lua

# pacman installs only what its repositories hold: a version is refused at
# compile time or by the tool, never silently ignored
cat >$R/v.lua <<'LUA'
package{name = "tl-new", ensure = "0.5-1", provider = "pacman"}
LUA
tapply 4 $R/v.lua
assert_contains "$OUT" "pacman installs only the version its repositories hold (1.0-1), not '0.5-1'"
[ "$(pac_version tl-new)" = absent ] || fail "a version pacman cannot give installed something"

# one name no repository has: it fails, the other package of the same run
# (asked of pacman in the same query) still installs
cat >$R/b.lua <<'LUA'
package{name = "tl-new", provider = "pacman"}
package{name = "tl-nosuch", provider = "pacman"}
LUA
tapply 6 $R/b.lua
assert_contains "$OUT" "tl-nosuch"
[ "$(pac_version tl-new)" = 1.0-1 ] || fail "tl-new was not installed beside an unknown name"

# adopt on a root whose package manager is pacman
pacman -S --noconfirm tl-hand >/dev/null 2>&1 || fail "setup: pacman -S tl-hand"
mv /var/lib/dpkg/status /var/lib/dpkg/status.hidden
out=$("$TLALOC" adopt --out /tmp/adopted --only packages 2>&1) || { echo "$out"; fail "adopt failed"; }
mv /var/lib/dpkg/status.hidden /var/lib/dpkg/status
grep -rq 'package.install "tl-hand"' /tmp/adopted || { cat /tmp/adopted/recipes/*; fail "adopt did not list tl-hand"; }
grep -rq 'pacman -Qqe' /tmp/adopted || fail "adopt does not say why tl-hand is listed"
echo "ok: pacman install, latest, remove, unknown names, idempotence and adopt against the real pacman"
