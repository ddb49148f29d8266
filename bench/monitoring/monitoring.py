#!/usr/bin/env python3
"""bench-monitoring: what org.pquic.monitoring costs a 1 GB transfer.

Loopback, pquic server and pquic client, three configurations on both ends,
alternating (the order rotates each round), a fresh server every run:

  plain   no plugin
  ebpf    --monitor COLLECTOR: the plugin's bundle, JIT-compiled
  native  --monitor COLLECTOR --monitor-plugin native: the same sources
          built as native code (trusted, no sandbox)

The monitored runs report to a pquic-monitor started for the benchmark
(handshake and close reports; no periodic ones); the benchmark checks that
every monitored connection's two close reports arrived.

Goodput is body bytes x 8 over the transfer time the client prints
(`seconds=`: first packet to last body byte). Not the process's wall time:
with --monitor the client stays until its connection has closed (its final
report goes out then), three PTOs after the transfer. CPU seconds per GB:
the client's from wait4's rusage, the server's from /proc/PID/stat.

Then bench_monitoring runs the same plugin on an in-memory transfer (thread
CPU per byte: no plugin, full dispatch with no pluglet running, native,
eBPF) to say where the cost goes; and, when valgrind is installed, once
more per mode under callgrind on 10 MB, counting the instructions of the
transfer loop: the same breakdown without the noise of a shared machine.

Prints one line per run, the medians, and last:
  monitoring: goodput_ratio=... native_vs_ebpf=... (more keys)
goodput_ratio = ebpf / plain median goodput; native_vs_ebpf = native /
ebpf median goodput; paired_ratio = the median over rounds of each round's
ebpf / plain goodput (the three runs of a round share the machine's
state: on this shared machine whole rounds run slow or fast together).

  monitoring.py PQUIC PQUIC_MONITOR BENCH_MONITORING BUNDLE [--runs N]
      [--bytes N] [--inmem-rounds N] [--inmem-mb N]
  environment: BENCH_MONITORING_RUNS (default 11)
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

TICK = os.sysconf("SC_CLK_TCK")
CONFIGS = ("plain", "ebpf", "native")


def die(msg):
    print(f"bench-monitoring: error: {msg}", file=sys.stderr)
    sys.exit(1)


def proc_cpu(pid):
    """utime + stime of a live process, seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Proc:
    """A background process in its own process group, its output in a file."""

    def __init__(self, cmd, log):
        self.log = open(log, "w+")
        self.p = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                  start_new_session=True)

    def alive(self):
        return self.p.poll() is None

    def wait_for(self, pattern, what):
        for _ in range(200):
            self.log.seek(0)
            m = re.search(pattern, self.log.read())
            if m:
                return m
            if not self.alive():
                break
            time.sleep(0.05)
        self.stop()
        die(f"{what} did not start")

    def stop(self):
        if self.alive():
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.log.close()


def monitor_flags(config, collector_port):
    if config == "plain":
        return []
    flags = ["--monitor", f"127.0.0.1:{collector_port}"]
    return flags + (["--monitor-plugin", "native"] if config == "native" else [])


def one(args, work, config, collector_port):
    flags = monitor_flags(config, collector_port)
    srv = Proc([args.pquic, "server", "--addr", "127.0.0.1", "--port", "0", "--cert",
                f"{work}/cert.pem", "--key", f"{work}/key.pem"] + flags,
               f"{work}/server-{config}.log")
    port = int(srv.wait_for(r"listening on 127\.0\.0\.1:(\d+)", "pquic server").group(1))
    cmd = [args.pquic, "client", "--insecure", "--quiet", "--version", "v1", "--discard"]
    cmd += flags + [f"https://127.0.0.1:{port}/{args.bytes}"]
    try:
        r0 = os.times()
        t0 = time.monotonic()
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        wall = time.monotonic() - t0
        r1 = os.times()
        if not srv.alive():
            die(f"{config}: the server died during the transfer")
        server_cpu = proc_cpu(srv.p.pid)
    finally:
        srv.stop()
    m = re.search(r"^bytes=(\d+) seconds=([\d.]+) ", p.stdout, re.M)
    if p.returncode != 0 or not m or int(m.group(1)) != args.bytes:
        die(f"{config} run failed (exit {p.returncode}): {(p.stderr or p.stdout).strip()[-300:]}")
    seconds = float(m.group(2))
    gb = args.bytes / 1e9
    client_cpu = (r1.children_user + r1.children_system) - (r0.children_user + r0.children_system)
    return {"mbps": args.bytes * 8 / seconds / 1e6, "seconds": seconds, "wall": wall,
            "client_cpu": client_cpu / gb, "server_cpu": server_cpu / gb}


def inmem(args):
    p = subprocess.run([args.bench, args.bundle, str(args.inmem_rounds), str(args.inmem_mb)],
                       capture_output=True, text=True, timeout=1800)
    if p.returncode != 0:
        die(f"bench_monitoring failed: {p.stderr.strip()[-300:]}")
    lines = p.stdout.strip().splitlines()
    for line in lines[-2:]:
        print(line, flush=True)
    last = lines[-1]
    if not last.startswith("monitoring-inmem: "):
        die(f"bench_monitoring: unexpected output: {last}")
    return dict(kv.split("=") for kv in last.split()[1:])


def instructions(args):
    """Instructions per byte of a 10 MB in-memory transfer, per mode."""
    if not shutil.which("valgrind"):
        return None
    out = {}
    with tempfile.TemporaryDirectory(prefix="pquic-bench-cg-") as d:
        for mode in ("none", "dispatch", "native", "ebpf"):
            p = subprocess.run(["valgrind", "--tool=callgrind", "--toggle-collect=bench_pump",
                                f"--callgrind-out-file={d}/cg.{mode}", args.bench, args.bundle,
                                "1", "10", mode], capture_output=True, text=True, timeout=1800)
            m = re.search(r"Collected : (\d+)", p.stderr)
            if p.returncode != 0 or not m:
                die(f"callgrind {mode}: {p.stderr.strip()[-300:]}")
            out[mode] = int(m.group(1)) / 10e6
    pct = {k: 100 * (v / out["none"] - 1) for k, v in out.items()}
    print(f"instructions per byte, 10 MB in memory (callgrind): none {out['none']:.2f}, full "
          f"dispatch only {out['dispatch']:.2f} (+{pct['dispatch']:.1f} %), native monitoring "
          f"{out['native']:.2f} (+{pct['native']:.1f} %), eBPF monitoring {out['ebpf']:.2f} "
          f"(+{pct['ebpf']:.1f} %)", flush=True)
    return pct


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pquic")
    ap.add_argument("monitor")
    ap.add_argument("bench")
    ap.add_argument("bundle")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_MONITORING_RUNS", "11")))
    ap.add_argument("--bytes", type=int, default=1000000000)
    ap.add_argument("--inmem-rounds", type=int, default=7)
    ap.add_argument("--inmem-mb", type=int, default=100)
    args = ap.parse_args()
    if args.runs < 1:
        die("--runs must be at least 1")
    work = tempfile.mkdtemp(prefix="pquic-bench-monitoring-")
    collector = None
    try:
        subprocess.run([args.pquic, "cert", "--cert", f"{work}/cert.pem", "--key",
                        f"{work}/key.pem", "--host", "127.0.0.1"], check=True)
        collector = Proc([args.monitor, "--listen", "127.0.0.1:0", "--json"],
                         f"{work}/collector.log")
        cport = int(collector.wait_for(r"reports on udp 127\.0\.0\.1:(\d+)",
                                       "pquic-monitor").group(1))
        print(f"bench-monitoring: {args.bytes} bytes on loopback, {args.runs} runs of each of "
              f"{', '.join(CONFIGS)}, load average {os.getloadavg()[0]:.2f}", flush=True)
        res = {c: [] for c in CONFIGS}
        for i in range(args.runs):
            order = CONFIGS[i % 3:] + CONFIGS[:i % 3]
            for config in order:
                r = one(args, work, config, cport)
                res[config].append(r)
                print(f"run {i + 1} {config:6s}: {r['mbps']:8.1f} Mbit/s  {r['seconds']:6.3f} s "
                      f"(wall {r['wall']:5.2f} s)  cpu/GB client {r['client_cpu']:5.2f} s "
                      f"server {r['server_cpu']:5.2f} s", flush=True)
        time.sleep(0.5)  # the last server's close report
        collector.stop()
        with open(f"{work}/collector.log") as f:
            reports = [json.loads(l) for l in f if l.startswith("{")]
        closes = sum(1 for r in reports if r["kind"] == "close")
        monitored = 2 * (len(res["ebpf"]) + len(res["native"]))
        if closes != monitored:
            die(f"the collector got {closes} close reports, expected {monitored}")
        collector = None
    finally:
        if collector:
            collector.stop()
        shutil.rmtree(work, ignore_errors=True)
    med = {c: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for c, rs in res.items()}
    for c in CONFIGS:
        m = med[c]
        print(f"median {c:6s}: {m['mbps']:8.1f} Mbit/s  cpu/GB client {m['client_cpu']:.2f} s "
              f"server {m['server_cpu']:.2f} s")
    print(f"reports: {len(reports)} received, {closes} close reports = 2 per monitored run")
    im = inmem(args)
    ins = instructions(args)
    p, e, n = med["plain"], med["ebpf"], med["native"]
    paired = statistics.median(
        ee["mbps"] / pp["mbps"] for ee, pp in zip(res["ebpf"], res["plain"]))
    print(f"monitoring: goodput_ratio={e['mbps'] / p['mbps']:.3f} "
          f"native_vs_ebpf={n['mbps'] / e['mbps']:.3f} paired_ratio={paired:.3f} "
          f"plain_mbps={p['mbps']:.1f} ebpf_mbps={e['mbps']:.1f} native_mbps={n['mbps']:.1f} "
          f"server_cpu_ratio={e['server_cpu'] / p['server_cpu']:.3f} "
          f"client_cpu_ratio={e['client_cpu'] / p['client_cpu']:.3f} "
          f"inmem_dispatch_pct={im['dispatch_pct']} inmem_native_pct={im['native_pct']} "
          f"inmem_ebpf_pct={im['ebpf_pct']}" +
          (f" instr_dispatch_pct={ins['dispatch']:.1f} instr_native_pct={ins['native']:.1f} "
           f"instr_ebpf_pct={ins['ebpf']:.1f}" if ins else ""))


if __name__ == "__main__":
    main()
