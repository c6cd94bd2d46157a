#!/usr/bin/env bash
# Every bootstrap artifact passes the real tool that reads it: sh -n and
# shellcheck for every shell script (installers, rc scripts, DHCP hooks),
# systemd-analyze verify for the unit, cloud-init schema for the user data,
# puppet parser validate for the manifest, ruby -c for the Chef recipe.
# Each kind is tried with and without an embedded key, and every install
# source with the kinds that differ by it. A validator the machine lacks is reported and the test
# ends with 77 (skip) after running all the others.
. tests/system/lib/common.sh

D=$T/art
mkdir -p "$D/op"
"$TLALOC" keys gen --out "$D/keyring" || fail "keys gen"
"$TLALOC" keys operator gen --out "$D/op" > /dev/null || fail "operator gen"
KEY=$(cat "$D/keyring")
missing=""
have() {
	command -v "$1" > /dev/null && return 0
	case " $missing " in *" $1 "*) ;; *) missing="$missing $1" ;; esac
	return 1
}
checked=0
sh_files=() ksh_files=()
# sh -n now; shellcheck once at the end, on every script (it starts slowly).
check_sh() { # FILE [SHELL]
	if [ "${2:-sh}" = sh ]; then
		sh -n "$1" || fail "sh -n $1"
		sh_files+=("$1")
	else
		ksh_files+=("$1")
	fi
}
gen() { # OUT ARGS...
	local out=$1; shift
	"$TLALOC" bootstrap "$@" > "$out" 2> "$out.err" ||
	    { cat "$out.err" >&2; fail "bootstrap $*"; }
	[ -s "$out.err" ] && fail "bootstrap $* wrote to stderr: $(cat "$out.err")"
	case "$(cat "$out.err")" in *"$KEY"*) fail "key on stderr" ;; esac
	return 0
}

common=(--join 10.0.0.1:7946,10.0.0.2:7946 --trust "$D/op/operator.pub"
    --tag role=web --tag zone=a --pack base --policy-from 10.0.0.1:7946)
sources=("--package-url https://example.org/tlaloc_0.1.0_amd64.deb"
    "--package-url https://example.org/tlaloc-0.1.0.tar.gz"
    "--from-package" "")
n=0
manifests=()
for src in "${sources[@]}"; do
	for key in "--keyring $D/keyring" ""; do
		n=$((n + 1))
		# shellcheck disable=SC2206
		args=("${common[@]}" $src $key)
		kinds="cloud-init systemd sysv openrc freebsd-rc openbsd-rc dhcp
		    puppet chef shell"
		# The source only changes the install step: every kind with
		# the first source, the kinds that spell it out with the others.
		[ $n -gt 2 ] && kinds="cloud-init puppet chef shell"
		for kind in $kinds; do
			f=$D/$n-$kind
			gen "$f" --via "$kind" "${args[@]}"
			if [ -n "$key" ]; then
				grep -qF "$KEY" "$f" || fail "$kind: key not embedded"
				grep -q TLALOC-CLUSTER-KEY-PLACEHOLDER "$f" &&
				    fail "$kind: placeholder despite --keyring"
			else
				grep -qF "$KEY" "$f" && fail "$kind: key without --keyring"
				grep -q TLALOC-CLUSTER-KEY-PLACEHOLDER "$f" ||
				    fail "$kind: no placeholder"
			fi
			grep -q 'policy.from' "$f" || fail "$kind: no policy_from"
			case $kind in
			cloud-init)
				if have cloud-init; then
					cloud-init schema --config-file "$f" > "$f.log" 2>&1 ||
					    { cat "$f.log"; fail "cloud-init schema $f"; }
					checked=$((checked + 1))
				fi
				gen "$f.sh" --via cloud-init --part installer "${args[@]}"
				check_sh "$f.sh"
				# What cloud-init will write is exactly that installer.
				python3 - "$f" "$f.sh" "$D/keyring" "$key" <<'PY' || fail "cloud-init write_files"
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
files = {w["path"]: w for w in doc["write_files"]}
inst = files["/var/lib/tlaloc-bootstrap/install.sh"]
assert inst["content"] == open(sys.argv[2]).read(), "installer differs"
assert inst["permissions"] == "0700"
kr = files["/etc/tlaloc/keyring"]
assert kr["permissions"] == "0600"
if sys.argv[4]:
    assert kr["content"] == open(sys.argv[3]).read(), "keyring differs"
assert doc["runcmd"] == [["sh", "/var/lib/tlaloc-bootstrap/install.sh"]]
PY
				;;
			puppet) manifests+=("$f") ;;	# one puppet start for all
			chef)
				if have ruby; then
					ruby -c "$f" > /dev/null || fail "ruby -c $f"
					checked=$((checked + 1))
				fi
				;;
			dhcp)
				check_sh "$f"
				for part in dhclient-hook dhcpcd-hook dhcp-join; do
					gen "$f.$part" --via dhcp --part "$part" "${args[@]}"
					check_sh "$f.$part"
				done
				;;
			*) check_sh "$f" ;;
			esac
		done
	done
done

if have puppet; then
	puppet parser validate "${manifests[@]}" || fail "puppet parser validate"
	checked=$((checked + ${#manifests[@]}))
fi

# Service definitions on their own, with a binary that exists (verify
# checks ExecStart; --man=no: the man page is not installed on the host).
mkdir -p "$D/unit"
gen "$D/unit/tlaloc.service" --via systemd --part service --bin "$TLALOC"
if have systemd-analyze; then
	systemd-analyze verify --man=no "$D/unit/tlaloc.service" ||
	    fail "systemd-analyze verify"
	checked=$((checked + 1))
fi
for kind in sysv openrc freebsd-rc; do
	gen "$D/$kind.rc" --via "$kind" --part service
	check_sh "$D/$kind.rc"
done
gen "$D/openbsd.rc" --via openbsd-rc --part service
check_sh "$D/openbsd.rc" ksh
grep -q '^#!/sbin/openrc-run' "$D/openrc.rc" || fail "openrc shebang"

if have shellcheck; then
	shellcheck -s sh "${sh_files[@]}" || fail "shellcheck"
	shellcheck -s ksh "${ksh_files[@]}" || fail "shellcheck (ksh)"
	checked=$((checked + ${#sh_files[@]} + ${#ksh_files[@]}))
fi

# Bad input: a clear error, nothing on stdout.
out=$("$TLALOC" bootstrap --via shell --tag 'a=$(reboot)' 2>&1 >/dev/null)
assert_contains "$out" "--tag"
out=$("$TLALOC" bootstrap --via nope 2>&1)
assert_contains "$out" "--via must be one of"
out=$("$TLALOC" bootstrap --via puppet --part service 2>&1)
assert_contains "$out" "has no part"

echo "validated $checked artifacts"
if [ -n "$missing" ]; then
	echo "missing validators:$missing (scripts/install-deps installs them)"
	exit 77
fi
