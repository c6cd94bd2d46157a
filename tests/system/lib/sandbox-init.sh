# PID 1 of a test sandbox (see sandbox.sh): builds the overlay root, runs
# the test chrooted in it, and leaves nothing behind. Args: CWD SCRIPT ARGS.
set -u
cwd=$1 script=$2; shift 2
base=$(mktemp -d /tmp/tlaloc-sandbox.XXXXXX) || exit 1
cleanup() {
	umount -R -l "$base" 2>/dev/null
	rmdir "$base" 2>/dev/null
}
trap cleanup EXIT
mount -t tmpfs -o size=4g,mode=0755 tlaloc-sandbox "$base" || exit 1
mkdir "$base/upper" "$base/work" "$base/root"
if ! mount -t overlay overlay \
    -o "lowerdir=/,upperdir=$base/upper,workdir=$base/work" "$base/root"; then
	echo "cannot mount overlayfs over /"; exit 77
fi
r=$base/root
mount -t proc proc "$r/proc"
mount --rbind /sys "$r/sys" && mount --make-rslave "$r/sys"	# facter reads it
mount -o remount,bind,ro "$r/sys" 2>/dev/null
mount --rbind /dev "$r/dev"
mount --make-rslave "$r/dev"
mount -t tmpfs -o mode=0755 run "$r/run"
mount -t tmpfs -o mode=1777 tmp "$r/tmp"
mkdir -p "$r/run/lock"
chroot "$r" /bin/bash -c 'cd "$1" && shift && exec bash "$@"' _ "$cwd" "$script" "$@"
