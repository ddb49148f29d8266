#!/usr/bin/env python3
"""Download completion time (DCT) of pquic against ngtcp2 over pquic-netsim.

Samples a parameter space with WSP (wsp.py), and for each point runs, for
each implementation, its HTTP/3 server and `--runs` downloads of each size
through the testbed (bench/testbed/testbed.sh, path 1). The median DCT of
each (point, size, implementation) is kept, and the ratio
median(pquic) / median(ngtcp2) is the figure the CDF plots show (below 1:
pquic finished first), as the paper's Figures 8-11. DCT is the client
process's wall time; each client's fixed cost (median of --fixed-runs
one-byte downloads over a zero-delay link) is measured first, and
ratio_net = (median(pquic) - fixed(pquic)) / (median(ngtcp2) - fixed(ngtcp2))
is reported and plotted too.

Spaces (one-way delay, bandwidth, loss; both directions alike):
  default  delay 2.5-25 ms, 5-50 Mbit/s, no loss          (the paper's default)
  fec      delay 100-400 ms, 0.3-10 Mbit/s, 1-8 % loss    (its in-flight range)
Queue: a drop-tail queue of max(--queue-bdp x BDP, --queue-min) bytes.

Everything is seeded: the WSP design (--seed), each point's netsim loss
seed (derived from --seed and the point index, the same for both
implementations), and the run order (implementations alternate first from
point to point). Results go to OUT/runs.csv (every download),
OUT/summary.csv (medians and ratios) and OUT/results.sqlite (both tables
and the netsim statistics), then plot_cdf.py draws OUT/dct_ratio_cdf.png.
With --resume, points already complete in OUT/results.sqlite are skipped.

Example (20 points x 3 runs, about 25 min on 2 cores):
  bench/experiment/experiment.py --points 20 --runs 3 --out /tmp/exp \\
      --pquic build/bin/pquic --netsim build/bin/pquic-netsim
"""
import argparse
import csv
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import wsp  # noqa: E402

SPACES = {
    # name: [(parameter, lo, hi)], fixed loss when not a dimension
    "default": [("delay_ms", 2.5, 25.0), ("bw_mbit", 5.0, 50.0)],
    "fec": [("delay_ms", 100.0, 400.0), ("bw_mbit", 0.3, 10.0), ("loss_pct", 1.0, 8.0)],
}
IMPLS = ("pquic", "ngtcp2")

RUN_COLS = ["space", "point", "delay_ms", "bw_mbit", "loss_pct", "queue_bytes", "impl", "size",
            "run", "dct_s", "ok", "rc", "summary", "error"]
SUM_COLS = ["space", "point", "delay_ms", "bw_mbit", "loss_pct", "queue_bytes", "size",
            "pquic_median_s", "ngtcp2_median_s", "ratio", "ratio_net", "pquic_ok", "ngtcp2_ok"]


def log(msg):
    print(f"experiment: {msg}", file=sys.stderr, flush=True)


def points(space, n, seed):
    dims = SPACES[space]
    out = []
    for i, u in enumerate(wsp.wsp_n(n, len(dims), seed)):
        vals = dict(zip([d[0] for d in dims], wsp.scale(u, [(d[1], d[2]) for d in dims])))
        p = {"point": i, "delay_ms": round(vals["delay_ms"], 3),
             "bw_mbit": round(vals["bw_mbit"], 3), "loss_pct": round(vals.get("loss_pct", 0.0), 3)}
        out.append(p)
    return out


def queue_bytes(p, bdp_factor, minimum):
    bdp = p["bw_mbit"] * 1e6 / 8 * 2 * p["delay_ms"] / 1e3
    return int(max(bdp * bdp_factor, minimum))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def db_open(path):
    db = sqlite3.connect(path)
    db.execute(f"CREATE TABLE IF NOT EXISTS runs ({', '.join(RUN_COLS)})")
    db.execute("CREATE TABLE IF NOT EXISTS netsim (space, point, impl, dir, stats)")
    return db


def run_point(args, p, impl, sizes, cert, key, runs=None):
    """One testbed invocation: the impl's server, `runs` x sizes downloads.
    A point with bw_mbit 0 is an unlimited link."""
    runs = runs or args.runs
    link = f"delay={p['delay_ms']}ms,loss={p['loss_pct']}%,seed={args.seed * 1000 + p['point'] + 1}"
    if p["bw_mbit"]:
        link += f",rate={p['bw_mbit']}mbit,queue={p['queue_bytes']}b"
    if impl == "pquic":
        server = (f"exec {args.pquic} server --addr $TB_SERVER_ADDR --port $TB_SERVER_PORT "
                  f"--cert {cert} --key {key}")
    else:
        server = (f"exec gtlsserver -q --max-dyn-length=64M $TB_SERVER_ADDR $TB_SERVER_PORT "
                  f"{key} {cert}")
    ideal = max(sizes) * 8 / (p["bw_mbit"] * 1e6) if p["bw_mbit"] else 0
    timeout = 30 + 10 * ideal
    client = (f"exec python3 {HERE}/runs.py --impl {impl} --addr $TB_PATH1_ADDR "
              f"--port $TB_PATH1_PORT --sizes {','.join(map(str, sizes))} --runs {runs} "
              f"--timeout {timeout:.0f} --pquic {args.pquic}")
    cmd = [os.path.join(HERE, "..", "testbed", "testbed.sh"), "--mode", args.mode,
           "--netsim", args.netsim, "--port", str(free_port()), "--link1", link,
           "--server", server, "--client", client]
    budget = runs * len(sizes) * (timeout + 1) + 60
    p_out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=budget)
    recs = [json.loads(l) for l in p_out.stdout.splitlines() if l.startswith("{")]
    stats = [l[len("testbed: netsim: stats "):] for l in p_out.stderr.splitlines()
             if l.startswith("testbed: netsim: stats ")]
    if not recs:
        log(f"point {p['point']} {impl}: no result; testbed said:\n{p_out.stderr.strip()}")
    return recs, stats


def fixed_costs(args, impls, cert, key):
    """Median wall time of a 1-byte download over a zero-delay unlimited
    link: each client's fixed cost (process start, handshake on loopback,
    exit), measured so a reader can tell it from transfer time."""
    base = {"point": -1, "delay_ms": 0, "bw_mbit": 0, "loss_pct": 0, "queue_bytes": 0}
    out = {}
    for impl in impls:
        recs, _ = run_point(args, base, impl, [1], cert, key, runs=args.fixed_runs)
        ok = [r["dct_s"] for r in recs if r["ok"]]
        out[impl] = statistics.median(ok) if ok else None
        log(f"fixed cost {impl}: {out[impl] and round(out[impl], 4)} s "
            f"(median of {len(ok)} one-byte downloads, zero delay)")
    return out


def summarise(db, space, fixed):
    rows = db.execute(f"SELECT {', '.join(RUN_COLS)} FROM runs WHERE space = ?", (space,))
    groups = {}
    for r in rows:
        r = dict(zip(RUN_COLS, r))
        key = (r["point"], r["size"])
        g = groups.setdefault(key, {"p": r, "pquic": [], "ngtcp2": []})
        if r["ok"]:
            g[r["impl"]].append(r["dct_s"])
    out = []
    for (point, size), g in sorted(groups.items()):
        p = g["p"]
        mp = statistics.median(g["pquic"]) if g["pquic"] else None
        mn = statistics.median(g["ngtcp2"]) if g["ngtcp2"] else None
        fp, fn = fixed.get("pquic"), fixed.get("ngtcp2")
        net = ""
        if mp and mn and fp is not None and fn is not None and mn - fn > 0 and mp - fp > 0:
            net = f"{(mp - fp) / (mn - fn):.4f}"
        out.append({"space": space, "point": point, "delay_ms": p["delay_ms"],
                    "bw_mbit": p["bw_mbit"], "loss_pct": p["loss_pct"],
                    "queue_bytes": p["queue_bytes"], "size": size,
                    "pquic_median_s": f"{mp:.4f}" if mp else "",
                    "ngtcp2_median_s": f"{mn:.4f}" if mn else "",
                    "ratio": f"{mp / mn:.4f}" if mp and mn else "", "ratio_net": net,
                    "pquic_ok": len(g["pquic"]), "ngtcp2_ok": len(g["ngtcp2"])})
    return out


def write_csv(path, cols, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow(r)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--space", choices=sorted(SPACES), default="default")
    ap.add_argument("--points", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="50000,1000000,10000000")
    ap.add_argument("--impls", default="pquic,ngtcp2")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mode", choices=["loopback", "netns"], default="loopback")
    ap.add_argument("--queue-bdp", type=float, default=1.0)
    ap.add_argument("--queue-min", type=int, default=32768)
    ap.add_argument("--pquic", default=os.path.join(HERE, "..", "..", "build", "bin", "pquic"))
    ap.add_argument("--netsim",
                    default=os.path.join(HERE, "..", "..", "build", "bin", "pquic-netsim"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--no-plot", action="store_true")
    ap.add_argument("--fixed-runs", type=int, default=7)
    args = ap.parse_args()
    args.pquic = os.path.abspath(args.pquic)
    args.netsim = os.path.abspath(args.netsim)
    sizes = [int(s) for s in args.sizes.split(",")]
    impls = [i for i in args.impls.split(",") if i]
    for i in impls:
        if i not in IMPLS:
            sys.exit(f"experiment: unknown implementation {i}")
    os.makedirs(args.out, exist_ok=True)
    cert, key = os.path.join(args.out, "cert.pem"), os.path.join(args.out, "key.pem")
    if not os.path.exists(cert):
        subprocess.run([args.pquic, "cert", "--cert", cert, "--key", key, "--host", "localhost"],
                       check=True, stdout=subprocess.DEVNULL)
    dbpath = os.path.join(args.out, "results.sqlite")
    if not args.resume and os.path.exists(dbpath):
        os.remove(dbpath)
    db = db_open(dbpath)

    pts = points(args.space, args.points, args.seed)
    for p in pts:
        p["queue_bytes"] = queue_bytes(p, args.queue_bdp, args.queue_min)
    write_csv(os.path.join(args.out, "points.csv"),
              ["point", "delay_ms", "bw_mbit", "loss_pct", "queue_bytes"], pts)
    t_start = time.monotonic()
    fixed = fixed_costs(args, impls, cert, key)
    with open(os.path.join(args.out, "fixed.csv"), "w") as f:
        f.write("impl,fixed_s\n")
        for impl, v in fixed.items():
            f.write(f"{impl},{'' if v is None else round(v, 4)}\n")
    for p in pts:
        order = impls if p["point"] % 2 == 0 else list(reversed(impls))
        for impl in order:
            have = db.execute("SELECT COUNT(*) FROM runs WHERE space=? AND point=? AND impl=?",
                              (args.space, p["point"], impl)).fetchone()[0]
            if have >= args.runs * len(sizes):
                continue
            db.execute("DELETE FROM runs WHERE space=? AND point=? AND impl=?",
                       (args.space, p["point"], impl))
            recs, stats = run_point(args, p, impl, sizes, cert, key)
            for r in recs:
                row = dict(p, space=args.space, impl=impl, size=r["size"], run=r["run"],
                           dct_s=round(r["dct_s"], 4), ok=int(r["ok"]), rc=r["rc"],
                           summary=r.get("summary", ""), error=r.get("error", ""))
                db.execute(f"INSERT INTO runs VALUES ({', '.join('?' * len(RUN_COLS))})",
                           [row[c] for c in RUN_COLS])
            for s in stats:
                d = "up" if " dir=up " in s else "down"
                db.execute("INSERT INTO netsim VALUES (?, ?, ?, ?, ?)",
                           (args.space, p["point"], impl, d, s))
            db.commit()
            bad = [r for r in recs if not r["ok"]]
            log(f"point {p['point'] + 1}/{len(pts)} d={p['delay_ms']}ms bw={p['bw_mbit']}mbit "
                f"loss={p['loss_pct']}% {impl}: {len(recs) - len(bad)}/{args.runs * len(sizes)} ok "
                f"({time.monotonic() - t_start:.0f} s)" +
                (f"; first failure: {bad[0].get('error', '')}" if bad else ""))

    rows = db.execute(f"SELECT {', '.join(RUN_COLS)} FROM runs WHERE space=? "
                      "ORDER BY point, impl, run, size", (args.space,)).fetchall()
    write_csv(os.path.join(args.out, "runs.csv"), RUN_COLS, [dict(zip(RUN_COLS, r)) for r in rows])
    summary = summarise(db, args.space, fixed)
    write_csv(os.path.join(args.out, "summary.csv"), SUM_COLS, summary)
    db.execute("DROP TABLE IF EXISTS summary")
    db.execute(f"CREATE TABLE summary ({', '.join(SUM_COLS)})")
    for s in summary:
        db.execute(f"INSERT INTO summary VALUES ({', '.join('?' * len(SUM_COLS))})",
                   [s[c] for c in SUM_COLS])
    db.commit()
    db.close()
    log(f"done in {time.monotonic() - t_start:.0f} s: {args.out}/summary.csv")
    if not args.no_plot:
        for col, name in (("ratio", "dct_ratio_cdf.png"), ("ratio_net", "dct_ratio_net_cdf.png")):
            subprocess.run([sys.executable, os.path.join(HERE, "plot_cdf.py"),
                            os.path.join(args.out, "summary.csv"), os.path.join(args.out, name),
                            col], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
