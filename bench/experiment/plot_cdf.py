#!/usr/bin/env python3
"""CDF of DCT ratios, one curve per file size, drawn with gnuplot (pngcairo).

  plot_cdf.py SUMMARY.csv OUT.png [COLUMN [TITLE]]

Reads experiment.py's summary.csv (columns size and COLUMN: ratio, the
default, or ratio_net), and plots for each
size the empirical CDF of ratio = median DCT(pquic) / median DCT(ngtcp2),
with a line at 1 (left of it pquic finished first), like the paper's
Figures 8-11. Also prints per size: count, median, quartiles, min, max.
"""
import csv
import os
import statistics
import subprocess
import sys
import tempfile


def human(size):
    for unit, div in (("MB", 1000000), ("KB", 1000)):
        if size >= div:
            return f"{size / div:g} {unit}"
    return f"{size} B"


def main():
    if len(sys.argv) not in (3, 4, 5):
        sys.exit("usage: plot_cdf.py SUMMARY.csv OUT.png [COLUMN [TITLE]]")
    src, png = sys.argv[1], sys.argv[2]
    col = sys.argv[3] if len(sys.argv) >= 4 else "ratio"
    net = col == "ratio_net"
    title = sys.argv[4] if len(sys.argv) == 5 else (
        "DCT ratio pquic / ngtcp2 (HTTP/3)" + (", fixed client costs removed" if net else ""))
    by_size = {}
    with open(src) as f:
        for r in csv.DictReader(f):
            if r.get(col):
                by_size.setdefault(int(r["size"]), []).append(float(r[col]))
    if not by_size:
        sys.exit("plot_cdf: no ratios in " + src)
    tmp = tempfile.mkdtemp(prefix="cdf-")
    plots = []
    lo = min(min(v) for v in by_size.values())
    hi = max(max(v) for v in by_size.values())
    for size in sorted(by_size):
        v = sorted(by_size[size])
        data = os.path.join(tmp, f"{size}.dat")
        with open(data, "w") as f:
            # A step function: each ratio raises the CDF by 1/n.
            f.write(f"{v[0]} 0\n")
            for i, x in enumerate(v):
                f.write(f"{x} {i / len(v)}\n{x} {(i + 1) / len(v)}\n")
        plots.append(f"'{data}' using 1:2 with lines lw 2 title '{human(size)} (n={len(v)})'")
        q = statistics.quantiles(v, n=4) if len(v) > 1 else [v[0]] * 3
        print(f"plot_cdf: {col} size={size} n={len(v)} median={statistics.median(v):.3f} "
              f"q1={q[0]:.3f} q3={q[2]:.3f} min={v[0]:.3f} max={v[-1]:.3f} "
              f"below_1={sum(x < 1 for x in v)}")
    title = title.replace("'", "''")  # gnuplot's quoting inside '...'
    script = f"""
set terminal pngcairo size 800,500 font 'sans,11'
set output '{png}'
set title '{title}'
set xlabel '{"(DCT - fixed cost)" if net else "DCT"} ratio (pquic / ngtcp2); < 1: pquic faster'
set ylabel 'CDF'
set yrange [0:1]
set xrange [{min(lo, 0.95) * 0.95}:{max(hi, 1.05) * 1.05}]
set grid
set key below
set arrow from 1, graph 0 to 1, graph 1 nohead dt 2 lc rgb 'gray40'
plot {', '.join(plots)}
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    print(f"plot_cdf: wrote {png}")


if __name__ == "__main__":
    main()
