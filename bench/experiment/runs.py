#!/usr/bin/env python3
"""Client side of one experiment point: timed downloads, one JSON line each.

Run by experiment.py as the testbed's client command (so inside the client
namespace in netns mode). For each run and each size, starts one client
process for https://ADDR:PORT/SIZE, measures its wall-clock time from spawn
to exit (the download completion time, DCT: process start, handshake,
request and the whole body, the same for every implementation), checks the
saved body has SIZE bytes, deletes it, and waits `--gap` seconds so the
emulated queues drain before the next download.

  runs.py --impl pquic|ngtcp2 --addr A --port P --sizes 50000,1000000
          --runs 3 --timeout S [--pquic PATH] [--gap 0.3]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def command(impl, pquic, addr, port, size, outdir, timeout):
    url = f"https://{addr}:{port}/{size}"
    if impl == "pquic":
        return [pquic, "client", "--insecure", "--quiet", "--output", outdir,
                "--timeout", str(int(timeout)), url]
    if impl == "ngtcp2":
        return ["gtlsclient", "-q", "--exit-on-all-streams-close", "--no-quic-dump",
                "--no-http-dump", "--download", outdir, addr, str(port), url]
    raise SystemExit(f"runs.py: unknown implementation {impl}")


def one(args, size, run):
    outdir = tempfile.mkdtemp(prefix="pqexp-")
    cmd = command(args.impl, args.pquic, args.addr, args.port, size, outdir, args.timeout)
    rec = {"impl": args.impl, "size": size, "run": run}
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=args.timeout)
        rec["dct_s"] = time.monotonic() - t0
        rec["rc"] = p.returncode
        summary = [l for l in p.stdout.splitlines() if l.startswith("bytes=")]
        if summary:
            rec["summary"] = summary[0]
        if p.returncode != 0:
            rec["error"] = (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
    except subprocess.TimeoutExpired:
        rec["dct_s"] = time.monotonic() - t0
        rec["rc"] = -1
        rec["error"] = f"timeout after {args.timeout:.0f} s"
    path = os.path.join(outdir, str(size))
    got = os.path.getsize(path) if os.path.exists(path) else 0
    rec["ok"] = rec["rc"] == 0 and got == size
    if rec["rc"] == 0 and got != size:
        rec["error"] = f"saved {got} bytes, expected {size}"
    shutil.rmtree(outdir, ignore_errors=True)
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", required=True, choices=["pquic", "ngtcp2"])
    ap.add_argument("--addr", required=True)
    ap.add_argument("--port", required=True, type=int)
    ap.add_argument("--sizes", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--pquic", default="pquic")
    ap.add_argument("--gap", type=float, default=0.3)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    for run in range(args.runs):
        for size in sizes:
            print(json.dumps(one(args, size, run)), flush=True)
            time.sleep(args.gap)
    return 0


if __name__ == "__main__":
    sys.exit(main())
