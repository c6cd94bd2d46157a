#!/usr/bin/env bash
# A cloud instance of 20_join_from_empty.sh: the real cloud-init boots a
# throwaway root from the user data of `tlaloc bootstrap --via cloud-init`,
# given as a NoCloud seed (/var/lib/cloud/seed/nocloud), running its boot
# stages as the systemd units would: init, modules config, modules final.
# Then the node must be a member, the keyring 0600 and identical, and the
# key in none of cloud-init's logs. Args: USER_DATA WANT_MEMBERS KEYRING.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
ud=$1 want=$2 keyring=$3
rm -f /var/lib/man-db/auto-update
alive() { /usr/bin/tlaloc members --status alive 2>/dev/null | grep -c .; }
mkdir -p /var/lib/cloud/seed/nocloud /etc/cloud/cloud.cfg.d
cp "$ud" /var/lib/cloud/seed/nocloud/user-data
echo "instance-id: tlaloc-test" > /var/lib/cloud/seed/nocloud/meta-data
echo "datasource_list: [ NoCloud ]" > /etc/cloud/cloud.cfg.d/99-tlaloc-test.cfg
export TLALOC_NAME=cloud
cloud-init init > /tmp/ci-init.log 2>&1 || { cat /tmp/ci-init.log; fail "cloud-init init"; }
# Modules other than ours may fail in a sandbox (locale, ssh); ours must not.
cloud-init modules --mode config > /tmp/ci-config.log 2>&1
cloud-init modules --mode final > /tmp/ci-final.log 2>&1
grep -q "Failed to run module scripts-user" /tmp/ci-final.log &&
    { cat /tmp/ci-final.log; fail "the installer failed under cloud-init"; }
[ "$(stat -c %a /etc/tlaloc/keyring)" = 600 ] || fail "keyring is not 0600"
[ "$(stat -c %a /var/lib/tlaloc-bootstrap/install.sh)" = 700 ] ||
    fail "installer is not 0700"
cmp -s /etc/tlaloc/keyring "$keyring" || fail "keyring differs"
for _ in $(seq 100); do [ "$(alive)" -ge "$want" ] && break; sleep 0.1; done
[ "$(alive)" -ge "$want" ] ||
    { cat /tmp/ci-final.log; fail "not a member after cloud-init"; }
key=$(grep -v '^#' "$keyring")
for log in /var/log/cloud-init.log /var/log/cloud-init-output.log /tmp/ci-*.log; do
	[ -f "$log" ] || continue
	grep -qF "$key" "$log" && fail "the key is in $log"
done
echo "cloud-init: member after init, config and final stages; $(alive) alive"
