#!/usr/bin/env bash
# Templates compare (`{% if workers > 4 %}` was a syntax error), compute,
# join text, test membership, filter lists and include other templates;
# an error names the template's file:line:column and the recipe line that
# rendered it, and nothing is changed.
. tests/system/lib/common.sh
mkdir -p "$RECIPES/templates" "$ROOT/etc"
cat >"$RECIPES/templates/app.conf.tpl" <<'TPL'
{% include "templates/header.tpl" %}
{% if workers > 4 %}
mode = big
{% else %}
mode = small
{% end %}
workers = {{ workers }}
threads = {{ workers * 2 + 1 }}
per_worker = {{ 1024 // workers }}
name = {{ node.name ~ "." ~ domain }}
{% if "tls" in features and not (port == 80) %}
tls = on
{% end %}
admins = {{ users | values | select("admin") | map("name") | sort | join(",") }}
ports = {{ ports | unique | sort | join(" ") }} ({{ ports | unique | length }} of {{ ports | max }})
TPL
printf '# managed by tlaloc for {{ node.name }}\n' >"$RECIPES/templates/header.tpl"
cat >"$RECIPES/site.lua" <<'LUA'
file { path = "/etc/app.conf", template = "templates/app.conf.tpl",
  vars = { workers = 6, domain = "example.org", port = 443, features = { "tls", "h2" },
           ports = { 8443, 443, 8443 },
           users = { ana = { name = "ana", admin = true }, bo = { name = "bo" },
                     cy = { name = "cy", admin = true } } } }
LUA
apply 2 "$RECIPES" --fact name=web-1
assert_file /etc/app.conf "# managed by tlaloc for web-1
mode = big
workers = 6
threads = 13
per_worker = 170
name = web-1.example.org
tls = on
admins = ana,cy
ports = 443 8443 (2 of 8443)"
apply 0 "$RECIPES" --fact name=web-1

# errors: template file:line:column, then the recipe line
sed -i 's/workers = 6,/workers = "6",/' "$RECIPES/site.lua"
apply 1 "$RECIPES" --fact name=web-1
assert_contains "$OUT" "templates/app.conf.tpl:2:15: cannot compare a string with a number using '>' (from site.lua:1)"
sed -i 's/workers = "6",/workers = 6,/' "$RECIPES/site.lua"
printf 'oops {{ nope }}\n' >"$RECIPES/templates/header.tpl"
apply 1 "$RECIPES" --fact name=web-1
assert_contains "$OUT" "templates/header.tpl:1:9: unknown variable 'nope' (included from templates/app.conf.tpl:1:1) (from site.lua:1)"
grep -q "mode = big" "$ROOT/etc/app.conf" || fail "a failed compile changed the file"
echo ok
