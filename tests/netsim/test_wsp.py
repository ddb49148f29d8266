#!/usr/bin/env python3
"""bench/experiment/wsp.py: seeded, exact size, space-filling, in range.

Usage: test_wsp.py PATH_TO_bench/experiment
"""
import math
import sys

sys.path.insert(0, sys.argv[1])
import wsp  # noqa: E402

passed = failed = 0


def check(cond, what):
    global passed, failed
    print(("ok: " if cond else "FAIL: ") + what)
    passed += 1 if cond else 0
    failed += 0 if cond else 1


for n, dims in ((20, 2), (12, 3)):
    a = wsp.wsp_n(n, dims, seed=1)
    check(len(a) == n, f"{n} points in {dims}-D")
    check(a == wsp.wsp_n(n, dims, seed=1), f"{n}x{dims}: same seed, same design")
    check(a != wsp.wsp_n(n, dims, seed=2), f"{n}x{dims}: another seed, another design")
    check(all(0 <= x <= 1 for p in a for x in p), f"{n}x{dims}: inside the unit cube")
    # Space filling: far better spread than as many uniform random points.
    rnd = [wsp.min_distance(wsp.candidates(n, dims, s)) for s in range(10)]
    d = wsp.min_distance(a)
    check(d > 2 * max(rnd), f"{n}x{dims}: min distance {d:.3f} > 2 x random's best {max(rnd):.3f}")

# The walk itself: with d_min above the cube's diagonal only the start stays,
# with d_min 0 every candidate is visited, each once.
c = wsp.candidates(50, 2, 3)
check(len(wsp.wsp(c, math.sqrt(2) + 0.1)) == 1, "d_min above the diagonal: one point")
full = wsp.wsp(c, 0.0)
check(sorted(full) == sorted(c), "d_min 0: every candidate, once")
check(wsp.scale((0.0, 0.5, 1.0), [(2.5, 25), (5, 50), (1, 8)]) == (2.5, 27.5, 8.0), "scaling")

print(f"netsim_wsp: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
