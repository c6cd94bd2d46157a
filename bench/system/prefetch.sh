#!/usr/bin/env bash
# Observing 100 installed packages: one dpkg-query for all of them.
# In a throwaway root (tests/system/lib/sandbox.sh): a recipe declaring
# 100 installed packages is applied with --noop, 10 times; prints the
# converge time (prefetch + 100 checks) and the number of dpkg-query runs.
cd "$(dirname "$0")/../.." || exit 1
. tests/system/lib/sandbox.sh
sandbox_enter "$0" "$@"

R=/tmp/r; mkdir -p $R
names=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" { print $2 }' | head -100)
[ "$(echo "$names" | wc -l)" = 100 ] || { echo "fewer than 100 packages installed"; exit 77; }
{ for n in $names; do echo "package.install \"$n\""; done; } >$R/site.lua
# count the queries: a dpkg-query wrapper earlier in PATH
# (tlaloc runs tools with a fixed PATH that starts at /usr/local/sbin; this
# is the sandbox's copy of /usr/local, the host's is untouched)
printf '#!/bin/sh\necho x >>/tmp/queries\nexec /usr/bin/dpkg-query "$@"\n' >/usr/local/sbin/dpkg-query
chmod +x /usr/local/sbin/dpkg-query
best=999999 total=0
for i in $(seq 10); do
	: >/tmp/queries
	out=$("$TLALOC" apply --state-dir /tmp/st --noop $R/site.lua 2>&1)
	rc=$?
	[ $rc = 0 ] || { echo "$out"; echo "apply exited $rc"; exit 1; }
	ms=$(echo "$out" | sed -nE 's/.*100 resources in ([0-9]+) ms.*/\1/p')
	total=$((total + ms)); [ "$ms" -lt "$best" ] && best=$ms
done
# the query alone, as tlaloc runs it
/usr/bin/dpkg-query -W $names >/dev/null
start=$(date +%s%N)
/usr/bin/dpkg-query -W -f='${Package}\t${db:Status-Abbrev}\t${Version}\n' $names >/dev/null
q=$(( ($(date +%s%N) - start) / 1000000 ))
echo "100 installed packages: dpkg-query runs per apply: $(wc -l </tmp/queries)"
echo "converge (prefetch + 100 checks): best $best ms, mean $((total / 10)) ms over 10 runs"
echo "the dpkg-query itself: $q ms"
