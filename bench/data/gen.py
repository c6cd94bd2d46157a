#!/usr/bin/env python3
"""The same Hiera 5 data for tlaloc and puppet: 1,000 keys over 5 levels.

gen.py OUT writes OUT/policy (tlaloc: hiera.yaml + data/) and
OUT/env/production (puppet: the same files, as an environment), plus
OUT/facts.yaml for `puppet lookup --facts` and OUT/keys (the 1,000 keys).
Every level holds 1,000 keys; values are strings, lists and hashes, and
a tenth of the keys are looked up with a deep merge.
"""
import os
import sys

out = sys.argv[1]
levels = [
    ("node", "node/%{trusted.certname}.yaml", "node/web-01.example.yaml"),
    ("role", "role/%{facts.role}.yaml", "role/web.yaml"),
    ("dc", "dc/%{facts.dc}.yaml", "dc/fra1.yaml"),
    ("tier", "tier/%{facts.tier}.yaml", "tier/prod.yaml"),
    ("common", "common.yaml", "common.yaml"),
]
hiera = ["---", "version: 5", "defaults:", "  datadir: data",
         "  data_hash: yaml_data", "hierarchy:"]
for name, path, _ in levels:
    hiera.append('  - name: "%s"' % name)
    hiera.append('    path: "%s"' % path)
hiera = "\n".join(hiera) + "\n"

for root in ("policy", "env/production"):
    d = os.path.join(out, root)
    os.makedirs(os.path.join(d, "data"), exist_ok=True)
    open(os.path.join(d, "hiera.yaml"), "w").write(hiera)
    for li, (name, _, f) in enumerate(levels):
        p = os.path.join(d, "data", f)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        lines = ["---"]
        if name == "common":
            lines.append("lookup_options:")
            for k in range(0, 1000, 10):
                lines.append("  key_%04d: {merge: deep}" % k)
        for k in range(1000):
            if k % 10 == 0:
                lines.append("key_%04d:" % k)
                lines.append("  %s: {port: %d, hosts: [a%d, b%d]}"
                             % (name, 8000 + li, k, k))
            elif k % 3 == 0:
                lines.append("key_%04d: [%s-%d-x, %s-%d-y]"
                             % (k, name, k, name, k))
            else:
                lines.append('key_%04d: "%s value %d"' % (k, name, k))
        open(p, "w").write("\n".join(lines) + "\n")
    if root == "policy":
        open(os.path.join(d, "site.lua"), "w").write("-- data only\n")

open(os.path.join(out, "facts.yaml"), "w").write(
    "role: web\ndc: fra1\ntier: prod\n")
open(os.path.join(out, "keys"), "w").write(
    "\n".join("key_%04d" % k for k in range(1000)) + "\n")
