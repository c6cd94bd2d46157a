#!/usr/bin/env python3
"""Splits each crash's detection time from a TLALOC_SIM_CRASH_TRACE=1 stderr.

  TLALOC_SIM_CRASH_TRACE=1 build/tlaloc-sim bench/sim/X.sim 2>X.err >X.out
  bench/sim/crash_split.py X.err

Per crash: the wait for its first suspicion (a node's own failed probe) and
from there to its first death (a node's own timeout). Percentiles as the
simulator prints them: sorted, p50 = v[n/2], p90/p99 = v[n*q/100], max.
"""
import re
import sys

SUSP = re.compile(r"^crash (\d+) \+([0-9.]+) s: \d+ suspects it$")
DEAD = re.compile(r"^crash (\d+) \+([0-9.]+) s: \d+ declares it dead")


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) * q // 100, len(v) - 1)]


def show(name, v, qs):
    if not v:
        print(f"{name}: none")
        return
    parts = [f"p{q} {pct(v, q):.2f}" for q in qs]
    print(f"{name}: {' / '.join(parts)} / max {max(v):.2f} s (n={len(v)})")


def main():
    susp, dead = {}, {}
    with open(sys.argv[1]) as f:
        for line in f:
            m = SUSP.match(line)
            if m:
                susp.setdefault(m[1], float(m[2]))
                continue
            m = DEAD.match(line)
            if m:
                dead.setdefault(m[1], float(m[2]))
    first = list(susp.values())
    split = [dead[c] - susp[c] for c in dead if c in susp]
    show("first suspicion", first, (50, 90))
    show("first suspicion to first death", split, (50, 99))
    worst = sorted(dead, key=lambda c: dead[c])[-3:]
    for c in reversed(worst):
        print(f"  crash {c}: suspicion +{susp.get(c, float('nan')):.2f} s,"
              f" death +{dead[c]:.2f} s")


if __name__ == "__main__":
    main()
