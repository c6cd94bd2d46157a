# bench/apply/lib.sh: sourced by run.sh and verify.sh (bash).
#
# How each tool is set up, reset to a fresh node and run against its own
# root OUT/roots/TOOL, with every bit of tool state kept under OUT/state so
# nothing on the host changes:
#   tlaloc    TLALOC_STATE_DIR (bucket, last_run.json)
#   cfengine  CFENGINE_TEST_OVERRIDE_WORKDIR (bin -> /usr/bin, keys from
#             cf-key at setup time, lastseen/state/promise log)
#   puppet    --confdir --vardir --publicdir --logdir --rundir --codedir;
#             facter runs `rpm -ql rpm` with HOME stripped, which makes rpm
#             create /root/.rpmdb: bench_isolate runs the whole benchmark in
#             a private mount namespace with a tmpfs over /root
#   ansible   HOME, ANSIBLE_HOME, ANSIBLE_LOCAL_TEMP/REMOTE_TEMP,
#             PYTHONDONTWRITEBYTECODE
# The environment is exported once (bench_env), so a timed run is exactly
# `/usr/bin/time -f '%e %M' TOOL ARGS`, with no wrapper process in between.

BENCH_ALL_TOOLS="tlaloc cfengine puppet ansible"

# Re-executes the calling script in a private mount namespace with a tmpfs
# over /root (see puppet above). No-op when already inside or impossible.
bench_isolate() {
	local script=$1; shift
	[ -n "${BENCH_ISOLATED:-}" ] && return 0
	if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null &&
	    unshare -m --propagation private true 2>/dev/null; then
		export BENCH_ISOLATED=1
		exec unshare -m --propagation private bash -c \
		    'mount -t tmpfs -o mode=0700 bench-root /root && exec bash "$@"' \
		    bash "$script" "$@"
	fi
	echo "warning: no private mount namespace; facter (puppet) may create /root/.rpmdb" >&2
}

# bench_env OUT TLALOC_BIN: exports what every tool needs.
bench_env() {
	BENCH_OUT=$1
	BENCH_TLALOC=$2
	export HOME=$BENCH_OUT/state/home
	export TLALOC_STATE_DIR=$BENCH_OUT/state/tlaloc
	export CFENGINE_TEST_OVERRIDE_WORKDIR=$BENCH_OUT/state/cfengine
	export ANSIBLE_HOME=$BENCH_OUT/state/ansible
	export ANSIBLE_LOCAL_TEMP=$BENCH_OUT/state/ansible/tmp
	export ANSIBLE_REMOTE_TEMP=$BENCH_OUT/state/ansible/tmp
	export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
	export ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
	export ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0
	export PYTHONDONTWRITEBYTECODE=1
	export LC_ALL=C.UTF-8
	umask 022
	mkdir -p "$HOME"
}

# bench_have TOOL: is the tool installed?
bench_have() {
	case $1 in
	tlaloc)   [ -x "$BENCH_TLALOC" ] ;;
	cfengine) command -v cf-agent >/dev/null && command -v cf-key >/dev/null ;;
	puppet)   command -v puppet >/dev/null ;;
	ansible)  command -v ansible-playbook >/dev/null ;;
	*) return 1 ;;
	esac
}

# bench_label TOOL: how the table names it.
bench_label() {
	case $1 in
	tlaloc)   echo "tlaloc apply" ;;
	cfengine) echo "cf-agent" ;;
	puppet)   echo "puppet apply" ;;
	ansible)  echo "ansible-playbook -c local" ;;
	*)        echo "$1" ;;
	esac
}

# bench_version TOOL: one short version string.
bench_version() {
	case $1 in
	tlaloc)   echo "$("$BENCH_TLALOC" version 2>/dev/null | head -1)" \
		  "(git $(git -C "$(dirname "$BENCH_TLALOC")" rev-parse --short HEAD 2>/dev/null))" ;;
	cfengine) cf-agent -V 2>/dev/null | head -1 ;;
	puppet)   echo "puppet $(puppet --version 2>/dev/null)" ;;
	ansible)  ansible-playbook --version 2>/dev/null | head -1 |
		  sed 's/ansible-playbook/ansible-core/; s/[][]//g; s/core //' ;;
	esac
}

# bench_fresh TOOL: a fresh node. The root is the seed again (app.conf
# restored from the template) and the tool forgets all run state; only
# cf-agent's host key (made by cf-key, not part of a converge) survives.
bench_fresh() {
	local t=$1 root=$BENCH_OUT/roots/$1
	rm -rf "$root"
	mkdir -p "$root"
	cp -a "$BENCH_OUT/seed/." "$root/"
	case $t in
	tlaloc)
		rm -rf "$TLALOC_STATE_DIR"; mkdir -p "$TLALOC_STATE_DIR" ;;
	cfengine)
		local w=$CFENGINE_TEST_OVERRIDE_WORKDIR
		if [ ! -f "$w/ppkeys/localhost.priv" ]; then
			rm -rf "$w"; mkdir -p "$w"
			ln -s /usr/bin "$w/bin"
			cf-key >/dev/null 2>&1
		fi
		find "$w" -mindepth 1 -maxdepth 1 ! -name bin ! -name ppkeys \
		    ! -name randseed -exec rm -rf {} +
		;;
	puppet)
		rm -rf "$BENCH_OUT/state/puppet"
		mkdir -p "$BENCH_OUT/state/puppet" ;;
	ansible)
		rm -rf "$ANSIBLE_HOME"; mkdir -p "$ANSIBLE_LOCAL_TEMP" ;;
	esac
}

# bench_argv TOOL: sets the array BENCH_ARGV to the command line of one run.
bench_argv() {
	local o=$BENCH_OUT s=$BENCH_OUT/state/puppet
	case $1 in
	tlaloc)
		BENCH_ARGV=("$BENCH_TLALOC" apply "$o/tlaloc" --root "$o/roots/tlaloc") ;;
	cfengine)
		BENCH_ARGV=(cf-agent -K -f "$o/cfengine/promises.cf") ;;
	puppet)
		BENCH_ARGV=(puppet apply --detailed-exitcodes --color=false
		    --confdir "$s/conf" --vardir "$s/var" --publicdir "$s/public"
		    --logdir "$s/log" --rundir "$s/run" --codedir "$s/code"
		    --modulepath /usr/share/puppet/modules "$o/puppet/site.pp") ;;
	ansible)
		BENCH_ARGV=(ansible-playbook -i localhost, -c local "$o/ansible/site.yml") ;;
	esac
}

# bench_ok TOOL PHASE RC LOG: did the run do what it should?
# PHASE first: converged with changes; noop: converged, nothing changed.
# Exit codes: tlaloc and puppet 2 = changed, 0 = nothing changed (puppet
# with --detailed-exitcodes); cf-agent and ansible exit 0 either way, so
# their logs are read (ansible's recap; cf-agent logs errors only).
bench_ok() {
	local t=$1 phase=$2 rc=$3 log=$4
	case $t:$phase in
	tlaloc:first|puppet:first) [ "$rc" = 2 ] ;;
	tlaloc:noop|puppet:noop)   [ "$rc" = 0 ] ;;
	cfengine:*) [ "$rc" = 0 ] && ! grep -qE '^ *(error|warning):' "$log" ;;
	ansible:first)
		[ "$rc" = 0 ] && grep -qE 'changed=[1-9].*failed=0' "$log" ;;
	ansible:noop)
		[ "$rc" = 0 ] && grep -qE 'changed=0 .*failed=0' "$log" ;;
	esac
}

# bench_snapshot DIR: identity of every entry (inode, times, size) — two
# equal snapshots mean the run between them changed nothing on disk.
bench_snapshot() {
	(cd "$1" && find . -printf '%y %i %m %s %T@ %C@ %p %l\n' | sort)
}

# bench_tree DIR: what the tree holds (type, mode, path, link target, file
# hash), independent of which tool made it.
bench_tree() {
	(cd "$1" && find . -printf '%y %m %p %l\n' | sort &&
	    find . -type f -print0 | sort -z | xargs -0 -r md5sum)
}
