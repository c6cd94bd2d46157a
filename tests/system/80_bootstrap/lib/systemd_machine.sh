#!/usr/bin/env bash
# An image build of 20_join_from_empty.sh: the `--via systemd` installer in
# a throwaway root where systemd is not PID 1 (as in a chroot or image
# builder). It installs, writes keys and config, enables the unit for the
# next boot and says so; the unit it wrote passes systemd-analyze verify
# with the real paths. Args: INSTALLER.
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"
rm -f /var/lib/man-db/auto-update
out=$(sh "$1" 2>&1) || { echo "$out"; fail "systemd installer failed"; }
assert_contains "$out" "installing for systemd: /usr/bin/tlaloc"
assert_contains "$out" "systemd is not running: enabled for the next boot"
[ -L /etc/systemd/system/multi-user.target.wants/tlaloc.service ] ||
    fail "not enabled (no multi-user.target.wants link)"
[ "$(stat -c %a /etc/tlaloc/keyring)" = 600 ] || fail "keyring is not 0600"
[ -s /etc/tlaloc/agent.conf ] || fail "no config"
if command -v systemd-analyze > /dev/null; then
	systemd-analyze verify --man=no /etc/systemd/system/tlaloc.service ||
	    fail "systemd-analyze verify"
fi
echo "systemd: installed and enabled for the next boot"
