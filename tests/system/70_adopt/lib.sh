# Helpers for the adopt tests and bench/adopt (source inside the sandbox,
# after debrepo.sh with REPO set to a path both roots see):
#
#   mkdeb_web             tl-web: a sysv service with two conffiles
#   adopt_repo            the local repository the hand-made server uses
#   mkroot NAME           a fresh overlay of the sandbox's / at /tmp/NAME/root
#   configure_by_hand A   the hand-made server: packages, an edited
#                         conffile, unowned files, a key, accounts, a
#                         crontab, a sysv service and a systemd unit

# tl-web: a sysv service with two conffiles (dpkg-deb marks only what
# DEBIAN/conffiles lists).
mkdeb_web() {
	local d; d=$(mktemp -d)
	mkdir -p "$d/DEBIAN" "$d/etc/init.d" "$d/etc/tl-web"
	printf 'Package: tl-web\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@t.invalid>\nDepends: tl-lib\nDescription: web\n' >"$d/DEBIAN/control"
	printf '/etc/init.d/tl-web\n/etc/tl-web/web.conf\n' >"$d/DEBIAN/conffiles"
	printf 'port = 80\nworkers = 2\n' >"$d/etc/tl-web/web.conf"
	cat >"$d/etc/init.d/tl-web" <<'INIT'
#!/bin/sh
### BEGIN INIT INFO
# Provides:          tl-web
# Required-Start:    $remote_fs
# Required-Stop:     $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: tlaloc adopt test
### END INIT INFO
exit 0
INIT
	chmod 0755 "$d/etc/init.d/tl-web"
	dpkg-deb -Zgzip --root-owner-group --build "$d" "$REPO/tl-web_1.0_all.deb" >/dev/null || exit 1
	rm -rf "$d"
}

adopt_repo() {
	repo_init
	mkdeb tl-lib 1.0
	mkdeb tl-tool 1.0
	mkdeb tl-unused 1.0
	mkdeb_web
	repo_index
}

# mkroot NAME: a fresh overlay of this sandbox's / at /tmp/NAME/root
mkroot() {
	local d=/tmp/$1
	mkdir -p $d/upper $d/work $d/root
	# A third overlay level (the host's / already one) is past the
	# kernel's stacking limit: skip rather than fail.
	mount -t overlay overlay -o lowerdir=/,upperdir=$d/upper,workdir=$d/work $d/root ||
	    { echo "cannot stack an overlay on the sandbox's /"; exit 77; }
	mount -t proc proc $d/root/proc
	mount --rbind /dev $d/root/dev
	mount -t tmpfs tmp $d/root/tmp
	mount -t tmpfs run $d/root/run
}
in_a() { chroot $A "$@" || fail "in A: $*"; }

configure_by_hand() {
	local A=$1
	in_a apt-get install -y -q tl-web tl-tool >/tmp/apt.log 2>&1
	echo 'workers = 8' >>$A/etc/tl-web/web.conf
	in_a groupadd -g 1600 devs
	in_a useradd -m -u 1601 -G devs -s /bin/bash -c 'Alice A' alice
	in_a useradd -u 1602 -U -G devs,adm bob
	echo 'bob:$6$salt$HASHbobHASHbobHASHbob' | in_a chpasswd -e
	mkdir -p $A/etc/tl-app
	printf '[main]\nmode = fast\n' >$A/etc/tl-app/app.ini
	chroot $A chown alice:devs /etc/tl-app/app.ini
	chmod 0664 $A/etc/tl-app/app.ini
	ln -s /etc/tl-app/app.ini $A/etc/tl-app.ini
	mkdir -p $A/etc/ssl/private
	printf -- '-----BEGIN PRIVATE KEY-----\nSECRETKEYBYTES\n-----END PRIVATE KEY-----\n' >$A/etc/ssl/private/tl.key
	chmod 0600 $A/etc/ssl/private/tl.key
	printf 'MAILTO=alice\n0 3 * * * /usr/bin/backup --all\n@daily /bin/echo hi\n' | in_a crontab -u alice -
	in_a update-rc.d tl-web defaults >/dev/null 2>&1
	printf '[Unit]\nDescription=t\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' >$A/etc/systemd/system/tl-unit.service
	systemctl --root=$A enable tl-unit >/dev/null 2>&1 || fail "systemctl enable"
	[ -L $A/etc/systemd/system/multi-user.target.wants/tl-unit.service ] || fail "tl-unit not enabled in A"
}
