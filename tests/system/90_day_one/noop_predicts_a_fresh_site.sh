#!/usr/bin/env bash
# A dry run that predicts (issue 18). On a fresh root, a realistic site:
# a group and a user with a home, their .ssh and key (from data/), an app
# directory and a templated config they own, a line added to a file made
# earlier in the run, an apt source, the index refreshed by an exec, a
# package from that repository (only there after the refresh), its sysv
# service started and enabled (notified by the config), and a crontab
# entry for the new user. `apply --noop` must succeed and list exactly
# the changes the real run then makes (the only difference allowed is the
# wording of a refresh: "would refresh" / "refreshed"), say what it had
# to assume, and change nothing; the real run must converge; a second run
# changes nothing.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
REPO=/var/tmp/repo-noop
. tests/system/lib/debrepo.sh

# A repository apt does not know yet: the recipe adds it.
repo_init
rm -f /etc/apt/sources.list.d/local.list
mkdeb_daemon tl-web 1.0
(cd "$REPO" && dpkg-scanpackages --multiversion . /dev/null >Packages 2>/dev/null) || fail "scan"
apt-get -q update >/dev/null 2>&1	# the index without the repository
[ "$(dpkg_version tl-web)" = absent ] || fail "tl-web installed before the run"

R=/tmp/site; mkdir -p $R/data $R/templates
echo 'return { key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI admin@laptop", workers = 4 }' >$R/data/admin.lua
cat >$R/templates/app.conf.tpl <<'TPL'
# {{ node.name }}
workers = {{ workers }}
threads = {{ workers * 2 }}
TPL
cat >$R/site.lua <<LUA
group { name = "app" }
user { name = "app", groups = {"app"}, home = "/home/app", managehome = true, shell = "/bin/bash" }
directory { path = "/home/app/.ssh", owner = "app", group = "app", mode = "0700" }
file { path = "/home/app/.ssh/authorized_keys", content = data.admin.key .. "\n",
       owner = "app", group = "app", mode = "0600" }
directory { path = "/srv/app", owner = "app", group = "app", mode = "0750" }
file { path = "/srv/app/app.conf", template = "templates/app.conf.tpl",
       vars = { workers = data.admin.workers }, owner = "app", group = "app",
       notify = "service[tl-web]" }
file { path = "/srv/app/local.conf", content = "port = 8080\n", replace = false }
file.ensure_line("/srv/app/local.conf", "debug = false")
file { path = "/etc/apt/sources.list.d/local.list", content = "deb [trusted=yes] file:$REPO ./\n" }
exec { name = "apt-update", command = { "/usr/bin/apt-get", "update", "-q" }, refreshonly = true,
       subscribe = "file[/etc/apt/sources.list.d/local.list]" }
package { name = "tl-web", require = "exec[apt-update]" }
service { name = "tl-web", ensure = "running", enable = true, provider = "sysv" }
cron { name = "app-backup", user = "app", minute = "15", hour = "2", command = "/usr/local/bin/backup" }
LUA

# changes: "ref<TAB>change" per line, refresh wording made one
changes() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
for r in d["resources"]:
    for c in r["changes"]:
        c = c.replace("would refresh (notified)", "refreshed (notified)")
        print(r["ref"] + "\t" + c)
for r in d["resources"]:
    if r["result"] in ("failed", "skipped"):
        print("NOT CONVERGED " + r["ref"] + ": " + r.get("error", ""), file=sys.stderr)
'
}
before=$(find /etc /home /srv /var/spool/cron -xdev 2>/dev/null | sort | md5sum)

OUT=$("$TLALOC" apply $R --noop --json --state-dir /tmp/st 2>/tmp/noop.err); RC=$?
[ "$RC" = 2 ] || { cat /tmp/noop.err; echo "$OUT"; fail "--noop exited $RC, wanted 2 (would change, nothing failed)"; }
predicted=$(echo "$OUT" | changes) || fail "--noop JSON"
assumed=$(echo "$OUT" | python3 -c 'import json,sys; [print(r["ref"], a) for r in json.load(sys.stdin)["resources"] for a in r.get("assumed", [])]')
[ "$(find /etc /home /srv /var/spool/cron -xdev 2>/dev/null | sort | md5sum)" = "$before" ] ||
	fail "--noop changed the tree"
[ "$(dpkg_version tl-web)" = absent ] || fail "--noop installed tl-web"
getent --service files passwd app >/dev/null && fail "--noop created the user"
assert_contains "$assumed" "package[tl-web] no package 'tl-web' in the repositories"
assert_contains "$assumed" "exec[apt-update] runs before it and may refresh the package index"
assert_contains "$assumed" "service[tl-web] no init script or unit 'tl-web' yet: assumed to come with package[tl-web]"
assert_contains "$assumed" "user[app] useradd makes the home '/home/app'"

OUT=$("$TLALOC" apply $R --json --state-dir /tmp/st 2>/tmp/real.err); RC=$?
[ "$RC" = 2 ] || { cat /tmp/real.err; echo "$OUT"; fail "the real run exited $RC, wanted 2"; }
made=$(echo "$OUT" | changes) || fail "real JSON"
if [ "$predicted" != "$made" ]; then
	diff <(echo "$predicted") <(echo "$made") >&2
	fail "the dry run predicted other changes than the real run made"
fi
echo "predicted = made: $(echo "$made" | wc -l) changes"
echo "$made"
[ "$(dpkg_version tl-web)" = 1.0 ] || fail "tl-web not installed"
/etc/init.d/tl-web status || fail "tl-web not running"
[ "$(stat -c %U:%G:%a /home/app/.ssh/authorized_keys)" = app:app:600 ] || fail "key file owner/mode"
grep -qx "debug = false" /srv/app/local.conf || fail "line not added"
crontab -u app -l | grep -q /usr/local/bin/backup || fail "no crontab entry"

tapply 0 $R
"$TLALOC" apply $R --noop --state-dir /tmp/st >/dev/null 2>&1 || fail "a --noop on the converged site is not clean"
echo ok
