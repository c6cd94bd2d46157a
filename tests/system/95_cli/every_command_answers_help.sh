#!/usr/bin/env bash
# Every command `tlaloc help` lists answers --help and -h on stdout with
# its own usage and exit 0 (issue 18: run and query said "unknown flag",
# status and converge printed publish's usage, keys and tags exited 1),
# has an entry in the man page's COMMANDS section, and agent --help names
# each flag once.
. tests/system/lib/common.sh
cmds=$("$TLALOC" help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
[ "$(echo "$cmds" | wc -l)" -gt 20 ] || fail "tlaloc help lists too few commands: $cmds"
man_cmds=$(sed -n '/^\.SH COMMANDS/,/^\.SH EXIT/p' docs/tlaloc.1 |
	awk 'prev == ".TP" { print } { prev = $0 }')
for c in $cmds; do
	for h in --help -h; do
		out=$("$TLALOC" "$c" "$h" 2>"$T/err")
		rc=$?
		[ "$rc" = 0 ] || fail "tlaloc $c $h exited $rc: $(cat "$T/err")"
		[ -s "$T/err" ] && fail "tlaloc $c $h wrote to stderr: $(cat "$T/err")"
		want=$c
		[ "$c" = do ] && want=program
		case "$c" in help|version) continue;; esac
		case "$out" in
		"usage: tlaloc $want"*) ;;
		*) fail "tlaloc $c $h does not start with 'usage: tlaloc $want': $(echo "$out" | head -2)";;
		esac
	done
	echo "$man_cmds" | grep -Eq "^\.B[R]? (.*[ (])?$c([ ,\\]|$)" ||
		fail "docs/tlaloc.1 has no COMMANDS entry for '$c'"
done
# agent --help lists each flag once
dups=$("$TLALOC" agent --help | grep -oE -- '--[a-z-]+' | sort | uniq -d)
[ -z "$dups" ] || fail "agent --help repeats: $dups"
dups=$(grep -oE '^\| `--[a-z-]+' docs/agent.md | sort | uniq -d)
[ -z "$dups" ] || fail "docs/agent.md lists twice: $dups"
echo ok
