#!/usr/bin/env python3
"""WSP space-filling designs (Santiago, Claeys-Bruno, Sergent 2012).

The algorithm, as the paper describes it:
  1. draw many candidate points uniformly in the unit cube [0, 1]^d;
  2. pick a starting point (here: the candidate nearest the centre);
  3. remove every candidate closer than d_min to the current point;
  4. the nearest remaining candidate becomes the current point; repeat 3-4
     until no candidate is left. The points visited form the design.
A larger d_min gives fewer, more spread-out points; `wsp_n` searches d_min
(bisection) for a design of the wanted size. Everything is seeded, pure
Python (no numpy), and the same (n, dims, seed) always gives the same design.

As a script: wsp.py N DIMS [SEED] prints N points in [0,1]^DIMS, one per line.
"""
import math
import random
import sys


def candidates(count, dims, seed):
    """`count` uniform points in [0,1]^dims from a seeded generator."""
    rng = random.Random(seed)
    return [tuple(rng.random() for _ in range(dims)) for _ in range(count)]


def wsp(cands, d_min):
    """The WSP design of the candidate list for one d_min (list of points)."""
    dims = len(cands[0])
    centre = (0.5,) * dims
    remaining = list(range(len(cands)))
    cur = min(remaining, key=lambda i: math.dist(cands[i], centre))
    design = []
    d2 = d_min * d_min
    while True:
        design.append(cands[cur])
        c = cands[cur]
        best, best_d = None, None
        keep = []
        for i in remaining:
            if i == cur:
                continue
            p = cands[i]
            dd = sum((a - b) * (a - b) for a, b in zip(p, c))
            if dd < d2:
                continue  # too close to the current point: removed for good
            keep.append(i)
            if best_d is None or dd < best_d:
                best, best_d = i, dd
        remaining = keep
        if best is None:
            return design
        cur = best


def wsp_n(n, dims, seed=1, cand_count=None):
    """A WSP design of exactly n points in [0,1]^dims (seeded).

    Bisects d_min until the design has n points; if no d_min gives exactly
    n (sizes jump), the smallest design larger than n is cut to its first n
    points, which are still spread since WSP walks between neighbours.
    """
    if n < 1 or dims < 1:
        raise ValueError("n and dims must be positive")
    cand_count = cand_count or max(1000, 40 * n)
    cands = candidates(cand_count, dims, seed)
    if n == 1:
        return wsp(cands, math.sqrt(dims) + 1)[:1]
    lo, hi = 0.0, math.sqrt(dims)  # d_min = 0 keeps every candidate
    best = None
    for _ in range(40):
        mid = (lo + hi) / 2
        design = wsp(cands, mid)
        if len(design) == n:
            return design
        if len(design) > n:
            lo = mid
            if best is None or len(design) < len(best):
                best = design
        else:
            hi = mid
    return (best or wsp(cands, lo))[:n]


def min_distance(points):
    """Smallest pairwise distance of a design (its space-filling quality)."""
    return min(math.dist(a, b) for i, a in enumerate(points) for b in points[i + 1:])


def scale(point, ranges):
    """Maps a unit-cube point onto [(lo, hi), ...] linearly."""
    return tuple(lo + u * (hi - lo) for u, (lo, hi) in zip(point, ranges))


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: wsp.py N DIMS [SEED]")
    pts = wsp_n(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) == 4 else 1)
    for p in pts:
        print(" ".join(f"{x:.6f}" for x in p))
