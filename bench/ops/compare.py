#!/usr/bin/env python3
"""Alternates the dispatch and direct builds of bench_ops and compares
their median CPU time per delivered kB (bench/ops/CMakeLists.txt).

usage: compare.py DISPATCH_BIN DIRECT_BIN
environment: BENCH_OPS_RUNS (runs per build, default 9, at least 5),
             BENCH_OPS_BYTES (transfer size, default 100 MB)
Last line:
  ops: dispatch_overhead_pct=P direct_ns_per_kb=D dispatch_ns_per_kb=X paired_overhead_pct=Q
P compares the two medians, as the issue defines it; Q is the median of the
per-pair differences (runs i of both builds ran back to back), which drift
on a shared machine disturbs less.
"""
import os
import re
import statistics
import subprocess
import sys


def run(binary, nbytes):
    out = subprocess.run([binary, "-b", str(nbytes)], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"ns_per_kb=([0-9.]+)", out)
    if not m:
        sys.exit("compare.py: no ns_per_kb in output of %s: %r" % (binary, out))
    print("  " + out.strip(), flush=True)
    return float(m.group(1))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    dispatch_bin, direct_bin = sys.argv[1], sys.argv[2]
    runs = max(5, int(os.environ.get("BENCH_OPS_RUNS", "9")))
    nbytes = int(os.environ.get("BENCH_OPS_BYTES", str(100 * 1000 * 1000)))
    # One unmeasured run of each warms caches and the page allocator.
    run(direct_bin, nbytes // 10)
    run(dispatch_bin, nbytes // 10)
    direct, dispatch = [], []
    for i in range(runs):
        # Alternate, and swap which goes first, so drift hits both.
        order = [(direct, direct_bin), (dispatch, dispatch_bin)]
        if i % 2:
            order.reverse()
        for samples, binary in order:
            samples.append(run(binary, nbytes))
    d = statistics.median(direct)
    p = statistics.median(dispatch)
    paired = statistics.median((x - y) / y * 100.0 for x, y in zip(dispatch, direct))
    print("direct   ns/kB: " + " ".join("%.1f" % x for x in direct))
    print("dispatch ns/kB: " + " ".join("%.1f" % x for x in dispatch))
    print("ops: dispatch_overhead_pct=%.2f direct_ns_per_kb=%.1f dispatch_ns_per_kb=%.1f "
          "paired_overhead_pct=%.2f" % ((p - d) / d * 100.0, d, p, paired))


if __name__ == "__main__":
    main()
