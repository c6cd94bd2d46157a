# Tiny .deb packages and a local apt repository, for use inside the sandbox
# (sandbox.sh). No network: apt sees only file:$REPO.
#
#   repo_init               empty repository at $REPO, apt pointed at it only
#   mkdeb NAME VERSION [DEPENDS [POSTINST]]   builds NAME_VERSION_all.deb
#   repo_index              scans $REPO and runs apt-get update
#
# Each package installs /usr/share/tlaloc-test/NAME holding its version, so
# a test can see which version dpkg unpacked.

REPO=${REPO:-/tmp/repo}

repo_init() {
	mkdir -p "$REPO"
	rm -f /etc/apt/sources.list
	rm -rf /etc/apt/sources.list.d
	mkdir -p /etc/apt/sources.list.d
	echo "deb [trusted=yes] file:$REPO ./" >/etc/apt/sources.list.d/local.list
	# apt's sandbox user cannot always read /tmp; and no recommends.
	cat >/etc/apt/apt.conf.d/99tlaloc-test <<'CONF'
APT::Sandbox::User "root";
APT::Install-Recommends "false";
Acquire::Languages "none";
CONF
}

mkdeb() {
	local name=$1 version=$2 depends=${3:-} postinst=${4:-}
	local d
	d=$(mktemp -d)
	mkdir -p "$d/DEBIAN" "$d/usr/share/tlaloc-test"
	{
		echo "Package: $name"
		echo "Version: $version"
		echo "Architecture: all"
		echo "Maintainer: Tlaloc tests <tests@tlaloc.invalid>"
		[ -n "$depends" ] && echo "Depends: $depends"
		echo "Description: tlaloc test package $name"
	} >"$d/DEBIAN/control"
	echo "$version" >"$d/usr/share/tlaloc-test/$name"
	if [ -n "$postinst" ]; then
		printf '#!/bin/sh\n%s\n' "$postinst" >"$d/DEBIAN/postinst"
		chmod 0755 "$d/DEBIAN/postinst"
	fi
	dpkg-deb -Zgzip --root-owner-group --build "$d" \
	    "$REPO/${name}_${version}_all.deb" >/dev/null || exit 1
	rm -rf "$d"
}

repo_index() {
	(cd "$REPO" && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null >Packages) || exit 1
	apt-get -q update >/tmp/apt-update.log 2>&1 || { cat /tmp/apt-update.log; exit 1; }
}

# dpkg_version NAME: the installed version, or "absent"
dpkg_version() {
	local s
	s=$(dpkg-query -W -f '${db:Status-Abbrev} ${Version}' "$1" 2>/dev/null)
	case "$s" in ii*) echo "${s#ii  }" | sed 's/^ *//';; *) echo absent;; esac
}

# mkdeb_daemon NAME VERSION: a package holding a real sysv service: the
# daemon /usr/sbin/NAME-d (a shell loop that logs each start to
# /var/log/NAME.starts) and /etc/init.d/NAME driving it with
# start-stop-daemon and a pid file.
mkdeb_daemon() {
	local name=$1 version=$2 d
	d=$(mktemp -d)
	mkdir -p "$d/DEBIAN" "$d/usr/sbin" "$d/etc/init.d"
	cat >"$d/DEBIAN/control" <<CTL
Package: $name
Version: $version
Architecture: all
Maintainer: Tlaloc tests <tests@tlaloc.invalid>
Description: tlaloc test daemon $name
CTL
	cat >"$d/usr/sbin/$name-d" <<'DAEMON'
#!/bin/sh
date +%s.%N >>/var/log/NAME.starts
trap 'exit 0' TERM
while :; do sleep 1; done
DAEMON
	sed -i "s/NAME/$name/" "$d/usr/sbin/$name-d"
	cat >"$d/etc/init.d/$name" <<'INIT'
#!/bin/sh
### BEGIN INIT INFO
# Provides:          NAME
# Required-Start:    $remote_fs
# Required-Stop:     $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: tlaloc test daemon
### END INIT INFO
PID=/run/NAME.pid
DAEMON=/usr/sbin/NAME-d
case "$1" in
start)	start-stop-daemon --start --quiet --background --make-pidfile \
	    --pidfile $PID --startas $DAEMON --oknodo ;;
stop)	start-stop-daemon --stop --quiet --pidfile $PID --remove-pidfile \
	    --retry TERM/5/KILL/2 --oknodo ;;
restart|force-reload|reload)
	"$0" stop && "$0" start ;;
status)	start-stop-daemon --status --pidfile $PID ;;
*)	echo "usage: $0 start|stop|restart|status" >&2; exit 3 ;;
esac
INIT
	sed -i "s/NAME/$name/g" "$d/etc/init.d/$name"
	chmod 0755 "$d/usr/sbin/$name-d" "$d/etc/init.d/$name"
	dpkg-deb -Zgzip --root-owner-group --build "$d" \
	    "$REPO/${name}_${version}_all.deb" >/dev/null || exit 1
	rm -rf "$d"
}
