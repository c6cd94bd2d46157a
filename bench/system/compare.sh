#!/usr/bin/env bash
# The issue's stack (5 local packages, a sysv service, 3 users, 2 groups,
# 3 cron entries) with tlaloc, `puppet apply` and `ansible-playbook -c
# local`, each in its own fresh throwaway root (tests/system/lib/
# sandbox.sh): the first run and a no-op run, wall-clock seconds.
#   bench/system/compare.sh [tlaloc|puppet|ansible]...
cd "$(dirname "$0")/../.." || exit 1
if [ -z "${TLALOC_SANDBOX:-}" ] && [ "${1:-}" != --one ]; then
	tools=("$@"); [ ${#tools[@]} = 0 ] && tools=(tlaloc puppet ansible)
	for t in "${tools[@]}"; do bash "$0" --one "$t" || echo "$t: failed"; done
	exit 0
fi
[ "${1:-}" = --one ] && shift
. tests/system/lib/sandbox.sh
sandbox_enter "$0" --one "$@"
tool=$1
. tests/system/lib/debrepo.sh
repo_init
for p in alpha beta gamma delta; do mkdeb tl-$p 1.0; done
mkdeb_daemon tl-demo 1.0
repo_index
B=/tmp/bench; mkdir -p $B
HASH='$6$salt$benchHASHbenchHASHbenchHASH'

cat >$B/site.lua <<LUA
package{names = {"tl-alpha", "tl-beta", "tl-gamma", "tl-delta", "tl-demo"}}
service{name = "tl-demo", ensure = "running", enable = true,
        require = "package[tl-alpha,tl-beta,tl-gamma,tl-delta,tl-demo]"}
group{name = "www", gid = 1600}
group{name = "ops", gid = 1601}
user{name = "deploy", uid = 1500, groups = {"www"}, shell = "/bin/bash",
     home = "/home/deploy", managehome = true, password = "$HASH"}
user{name = "alice", uid = 1501, groups = {"www", "ops"}, home = "/home/alice"}
user{name = "svc-batch", system = true, shell = "/usr/sbin/nologin"}
cron{name = "backup", minute = "0", hour = "3", command = "/usr/local/bin/backup"}
cron{name = "poll", user = "deploy", minute = "*/5", command = "/bin/true"}
cron{name = "report", user = "alice", special = "daily", command = "/bin/date"}
LUA

cat >$B/site.pp <<PP
package { ['tl-alpha', 'tl-beta', 'tl-gamma', 'tl-delta', 'tl-demo']: ensure => installed }
-> service { 'tl-demo': ensure => running, enable => true, provider => debian, hasstatus => true }
group { 'www': gid => 1600 }
group { 'ops': gid => 1601 }
user { 'deploy': uid => 1500, groups => ['www'], shell => '/bin/bash',
  home => '/home/deploy', managehome => true, password => '$HASH' }
user { 'alice': uid => 1501, groups => ['www', 'ops'], home => '/home/alice' }
user { 'svc-batch': system => true, shell => '/usr/sbin/nologin' }
cron { 'backup': user => 'root', minute => '0', hour => '3', command => '/usr/local/bin/backup' }
cron { 'poll': user => 'deploy', minute => '*/5', command => '/bin/true' }
cron { 'report': user => 'alice', special => 'daily', command => '/bin/date' }
PP

cat >$B/site.yml <<YML
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - apt: { name: [tl-alpha, tl-beta, tl-gamma, tl-delta, tl-demo], state: present }
    - service: { name: tl-demo, state: started, enabled: true, use: sysvinit }
    - group: { name: www, gid: 1600 }
    - group: { name: ops, gid: 1601 }
    - user: { name: deploy, uid: 1500, groups: [www], shell: /bin/bash, home: /home/deploy, create_home: true, password: '$HASH' }
    - user: { name: alice, uid: 1501, groups: [www, ops], home: /home/alice, create_home: false }
    - user: { name: svc-batch, system: true, shell: /usr/sbin/nologin, create_home: false }
    - cron: { name: backup, user: root, minute: "0", hour: "3", job: /usr/local/bin/backup }
    - cron: { name: poll, user: deploy, minute: "*/5", job: /bin/true }
    - cron: { name: report, user: alice, special_time: daily, job: /bin/date }
YML

case $tool in
tlaloc)  cmd=("$TLALOC" apply --state-dir /tmp/st $B/site.lua) ;;
puppet)  cmd=(puppet apply --detailed-exitcodes $B/site.pp) ;;
ansible) cmd=(ansible-playbook -i localhost, -c local $B/site.yml) ;;
*) echo "unknown tool $tool"; exit 2 ;;
esac
command -v "${cmd[0]}" >/dev/null || { echo "$tool: not installed"; exit 77; }
t() { local s e; s=$(date +%s%N); "${cmd[@]}" >/tmp/out.$1 2>&1; echo $? >/tmp/rc.$1; e=$(date +%s%N); echo "$(( (e - s) / 1000000 ))"; }
first=$(t first); rc1=$(cat /tmp/rc.first)
second=$(t second); rc2=$(cat /tmp/rc.second)
/etc/init.d/tl-demo status >/dev/null || { echo "$tool: tl-demo not running"; cat /tmp/out.first; }
getent --service files passwd alice >/dev/null || { echo "$tool: alice missing"; cat /tmp/out.first; }
[ $tool = ansible ] && echo "ansible no-op recap: $(grep -ho "changed=[0-9]*" /tmp/out.second)"
printf '%-8s first run %6d ms (exit %d)   no-op run %6d ms (exit %d)\n' \
    "$tool" "$first" "$rc1" "$second" "$rc2"
