#!/usr/bin/env bash
# The adopt round trip, in throwaway roots: two fresh overlays of the same
# base (A and B). A is configured by hand (packages from a local repo, an
# edited conffile, an unowned file in a new /etc directory, a secret key,
# users, groups with members, a crontab, a sysv service and a systemd unit
# enabled); `tlaloc adopt --root A` writes recipes; `tlaloc apply --root B`
# converges B from them. Then A and B must have the same package set, the
# same /etc (contents, modes, owners, links; only the secret and the noise
# filter's files may differ), the same users/groups, enabled services and
# crontab entries; a second apply changes nothing; --diff finds exactly the
# hand changes made on B afterwards.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
REPO=/var/tmp/repo	# in the base, so both roots see it
. tests/system/lib/debrepo.sh

. tests/system/70_adopt/lib.sh

adopt_repo
mkroot a; mkroot b
A=/tmp/a/root B=/tmp/b/root
configure_by_hand $A

# --- adopt A -------------------------------------------------------------
OUTD=/tmp/adopted
start=$(date +%s%N)
out=$("$TLALOC" adopt --root $A --out $OUTD 2>&1) || { echo "$out"; fail "adopt failed"; }
echo "$out; $(( ($(date +%s%N) - start) / 1000000 )) ms"
assert_contains "$out" "secrets left as placeholders"
R=$(cat $OUTD/site.lua $OUTD/recipes/*.lua)
assert_contains "$R" 'package.install "tl-web"'
assert_contains "$R" 'package.install "tl-tool"'
assert_not_contains "$R" 'package.install "tl-lib"'		# automatic
assert_not_contains "$R" 'package.install "tl-unused"'	# never installed
assert_not_contains "$R" 'file[/etc/init.d/tl-web]'		# unchanged conffile
assert_not_contains "$R" '/etc/machine-id'			# noise
grep -q 'file{path = "/etc/tl-web/web.conf"' $OUTD/recipes/tl-web.lua || fail "conffile not in tl-web.lua"
grep -q 'service{name = "tl-web", enable = true, provider = "sysv"' $OUTD/recipes/tl-web.lua || fail "service not in tl-web.lua"
grep -q 'file{path = "/etc/systemd/system/tl-unit.service"' $OUTD/recipes/tl-unit.lua || fail "unit file not with its service"
grep -q 'require = "file\[/etc/systemd/system/tl-unit.service\]"' $OUTD/recipes/tl-unit.lua || fail "service does not require its unit"
grep -q 'conffile of package tl-web, changed' $OUTD/recipes/tl-web.lua || fail "no source comment"
cmp -s $OUTD/files/etc/tl-web/web.conf $A/etc/tl-web/web.conf || fail "asset differs"
# the secret: listed, commented out, not copied
[ -e $OUTD/files/etc/ssl/private/tl.key ] && fail "secret copied"
grep -rq SECRETKEYBYTES $OUTD && fail "secret content in the output"
grep -q '^-- file{path = "/etc/ssl/private/tl.key"' $OUTD/recipes/*.lua || fail "no placeholder for the key"
grep -q 'tl.key' $OUTD/README.md || fail "README does not list the key"
grep -qF -- '--   tlaloc secret set etc_ssl_private_tl.key --for name=NODE' \
    $OUTD/recipes/*.lua || fail "no way to seal the key named"
grep -qF 'content = secret("etc_ssl_private_tl.key"), sensitive = true' \
    $OUTD/recipes/*.lua || fail "no sealed declaration named"
grep -rq 'HASHbob' $OUTD && fail "password hash in the output"

# --only and --exclude narrow it down
"$TLALOC" adopt --root $A --out /tmp/narrow --only files,cron --exclude '/etc/tl-app*' >/dev/null || fail "adopt --only"
N=$(cat /tmp/narrow/recipes/*.lua)
assert_contains "$N" 'file{path = "/etc/tl-web/web.conf"'
assert_contains "$N" 'cron{name = "alice-1"'
assert_not_contains "$N" '/etc/tl-app'
assert_not_contains "$N" 'package.install'
assert_not_contains "$N" 'user{'

# --- apply to B, then compare --------------------------------------------
"$TLALOC" apply --root $B --state-dir /tmp/st $OUTD >/tmp/apply1.log 2>&1
rc=$?
[ $rc = 2 ] || { cat /tmp/apply1.log; fail "first apply exited $rc, wanted 2"; }
"$TLALOC" apply --root $B --state-dir /tmp/st $OUTD >/tmp/apply2.log 2>&1
rc=$?
[ $rc = 0 ] || { cat /tmp/apply2.log; fail "second apply exited $rc, wanted 0 (changed nothing)"; }

pkgs() { dpkg-query --admindir=$1/var/lib/dpkg -W -f '${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" {print $2}' | sort; }
[ "$(pkgs $A)" = "$(pkgs $B)" ] || { diff <(pkgs $A) <(pkgs $B); fail "package sets differ"; }
[ "$(pkgs $B | grep -c '^tl-')" = 3 ] || fail "B has $(pkgs $B | grep '^tl-')"

# /etc as a list of path, type, mode, owner, group, link target, digest;
# accounts compared below, the key is the secret left out.
skip=(-path ./ssl/private/tl.key)
for f in passwd shadow group gshadow subuid subgid; do skip+=(-o -name $f -o -name $f-); done
skip+=(-o -name ld.so.cache -o -name .pwd.lock)
etc_list() {
	(cd $1/etc && find . \( "${skip[@]}" \) -prune -o -printf '%p %y %m %u %g %l\n' | sort
	 cd $1/etc && find . \( "${skip[@]}" \) -prune -o -type f -print0 | sort -z | xargs -0 sha256sum)
}
diff <(etc_list $A) <(etc_list $B) >/tmp/etc.diff || { cat /tmp/etc.diff; fail "/etc differs between A and B"; }

acct() { grep -E "^(alice|bob|devs|adm):" $1/etc/passwd $1/etc/group | sed "s#^$1##" | sort; }
[ "$(acct $A)" = "$(acct $B)" ] || { diff <(acct $A) <(acct $B); fail "accounts differ"; }
[ -d $B/home/alice ] || fail "alice has no home in B"
[ ! -e $B/home/bob ] || fail "bob got a home A does not have"
ls $B/etc/rc2.d/S*tl-web >/dev/null 2>&1 || fail "tl-web not enabled in B"
[ -L $B/etc/systemd/system/multi-user.target.wants/tl-unit.service ] || fail "tl-unit not enabled in B"
tabs() { grep -v '^#' $1/var/spool/cron/crontabs/alice; }
[ "$(tabs $A)" = "$(tabs $B)" ] || { diff <(tabs $A) <(tabs $B); fail "crontabs differ"; }
[ ! -e $B/etc/ssl/private/tl.key ] || fail "the secret reached B"

# adopting B gives A's declarations and file contents back
"$TLALOC" adopt --root $B --out /tmp/adoptedB >/dev/null || fail "adopt B"
diff -r $OUTD/files /tmp/adoptedB/files || fail "B's adopted files differ from A's"
"$TLALOC" adopt --diff --root $B --recipes $OUTD >/tmp/diff.out 2>&1 || { cat /tmp/diff.out; fail "--diff on B found drift before any"; }
[ "$(grep -c '^[a-z][a-z.]*[{ ]' /tmp/adoptedB/recipes/*.lua | awk -F: '{n += $2} END {print n}')" = \
  "$(grep -c '^[a-z][a-z.]*[{ ]' $OUTD/recipes/*.lua | awk -F: '{n += $2} END {print n}')" ] || { grep -c '^[a-z][a-z.]*[{ ]' /tmp/adoptedB/recipes/*.lua $OUTD/recipes/*.lua; fail "declaration counts differ"; }

# --- --include-secrets copies them, privately ----------------------------
"$TLALOC" adopt --root $A --out /tmp/withsecrets --include-secrets --only files,users >/dev/null || fail "adopt --include-secrets"
[ "$(stat -c %a /tmp/withsecrets/files/etc/ssl/private/tl.key)" = 600 ] || fail "secret asset not 0600"
grep -q '^file{path = "/etc/ssl/private/tl.key"' /tmp/withsecrets/recipes/*.lua || fail "secret not declared"
grep -q 'HASHbob' /tmp/withsecrets/recipes/users.lua || fail "hash not copied"

# --- --diff: nothing outside the recipes on A; B's later hand changes -----
"$TLALOC" adopt --diff --root $A --recipes $OUTD >/tmp/diff.out 2>&1 || { cat /tmp/diff.out; fail "--diff on A found drift"; }
chroot $B apt-get install -y -q tl-unused >/dev/null 2>&1 || fail "install in B"
echo drift >$B/etc/tl-drift.conf
out=$("$TLALOC" adopt --diff --root $B --recipes $OUTD 2>&1); rc=$?
[ $rc = 2 ] || { echo "$out"; fail "--diff exited $rc, wanted 2"; }
assert_contains "$out" "+ package[tl-unused]"
assert_contains "$out" "+ file[/etc/tl-drift.conf]"
[ "$(echo "$out" | wc -l)" = 2 ] || { echo "$out"; fail "--diff listed more than the two changes"; }

# bad input: a clear error, nothing written
"$TLALOC" adopt --root $A --out $OUTD >/tmp/err.out 2>&1 && fail "adopt into a non-empty dir"
assert_contains "$(cat /tmp/err.out)" "is not empty"
"$TLALOC" adopt --only packages,bogus >/tmp/err.out 2>&1 && fail "bad --only accepted"
assert_contains "$(cat /tmp/err.out)" "unknown source 'bogus'"
echo "round trip ok"
