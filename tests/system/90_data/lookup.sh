#!/usr/bin/env bash
# tlaloc lookup and lookup() in a real apply: a four-level Hiera 5
# hierarchy (node, role, os, common) read the same way by the CLI and by a
# recipe, each merge strategy, --explain, a miss naming every level, a
# YAML error naming file:line:column, and nothing changed when a compile
# fails. Needs no root: everything lives in a scratch directory.
set -u
T=${TLALOC:-$PWD/${TLALOC_BUILD:-build}/tlaloc}
W=$(mktemp -d /tmp/tlaloc-lookup.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
P=$W/policy
mkdir -p $P/data/node $P/data/role $P/data/os $W/root
cat >$P/hiera.yaml <<'YAML'
version: 5
defaults: {datadir: data}
hierarchy:
  - {name: Per-node, path: "node/%{trusted.certname}.yaml"}
  - {name: Per-role, path: "role/%{facts.role}.yaml"}
  - {name: Per-OS, path: "os/%{facts.family}.yaml"}
  - {name: Common, path: common.yaml}
YAML
cat >$P/data/common.yaml <<'YAML'
port: 80
packages: [curl, vim]
users: {ana: {shell: /bin/bash, groups: [adm]}}
motd: "hello from %{trusted.certname}"
lookup_options:
  packages: {merge: unique}
YAML
printf 'port: 8080\npackages: [nginx]\nusers: {ana: {groups: [www]}, www: {}}\n' >$P/data/role/web.yaml
printf 'packages: [apt-listchanges]\n' >$P/data/os/debian.yaml
printf 'port: 9000\n' >$P/data/node/web-01.yaml
L() { "$T" lookup --policy $P --fact family=debian "$@"; }

[ "$(L port --node web-01 --fact role=web)" = 9000 ] || fail "node level"
[ "$(L port --node web-02 --fact role=web)" = 8080 ] || fail "role level"
[ "$(L port --node db-01)" = 80 ] || fail "common level"
[ "$(L packages --node web-02 --fact role=web)" = '["nginx","apt-listchanges","curl","vim"]' ] || fail "unique from lookup_options: $(L packages --node web-02 --fact role=web)"
[ "$(L users --node web-02 --fact role=web --merge hash)" = '{"ana":{"groups":["www"]},"www":{}}' ] || fail "hash merge"
[ "$(L users --node web-02 --fact role=web --merge deep)" = '{"ana":{"groups":["www"],"shell":"/bin/bash"},"www":{}}' ] || fail "deep merge"
[ "$(L motd --node web-02)" = "hello from web-02" ] || fail "interpolation"
out=$(L port --node web-01 --fact role=web --explain)
case $out in *'1. Per-node "data/node/web-01.yaml": found 9000'*'2. Per-role "data/role/web.yaml": found 8080'*'=> 9000'*) ;; *) echo "$out"; fail "--explain";; esac
out=$(L nope --node db-01 2>&1) && fail "a missing key exited 0"
case $out in *"no value for 'nope' (tried data/node/db-01.yaml: no file; Per-role: skipped, %{facts.role} is not set on this node; data/os/debian.yaml: no key; data/common.yaml: no key)"*) ;; *) echo "$out"; fail "miss message";; esac

# the same values in a recipe, and a miss stops the compile at its line
cat >$P/site.lua <<'LUA'
file { path = "/port", content = lookup("port") .. "\n" }
file { path = "/pkgs", content = table.concat(lookup("packages"), " ") .. "\n" }
LUA
"$T" apply $P --root $W/root --state-dir $W/state --fact name=web-02 --fact role=web --fact family=debian >/dev/null 2>&1
[ $? = 2 ] || fail "apply with lookups did not converge"
[ "$(cat $W/root/port)" = 8080 ] || fail "recipe port: $(cat $W/root/port)"
[ "$(cat $W/root/pkgs)" = "nginx apt-listchanges curl vim" ] || fail "recipe packages"
printf 'file { path = "/new", content = "x" }\nfile { path = "/port", content = lookup("prot") }\n' >$P/site.lua
out=$("$T" apply $P --root $W/root --state-dir $W/state --fact name=web-02 2>&1)
[ $? = 1 ] || fail "a missing key did not stop the compile"
case $out in *"site.lua:2: lookup: no value for 'prot'"*) ;; *) echo "$out"; fail "recipe miss message";; esac
[ -e $W/root/new ] && fail "a failed compile changed something"

# a YAML error names file:line:column
printf 'port: [1, 2\n' >$P/data/role/web.yaml
out=$(L port --node web-02 --fact role=web 2>&1) && fail "bad YAML exited 0"
case $out in *"data/role/web.yaml:2:1"*) ;; *) echo "$out"; fail "YAML error position";; esac
echo "ok: lookup over four levels, merges, explain, misses and YAML errors"
