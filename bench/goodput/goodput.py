#!/usr/bin/env python3
"""bench-goodput: 1 GB over loopback, pquic against ngtcp2.

Alternates transfers by the pquic pair (pquic client and server) and the
ngtcp2 pair (Debian's gtlsclient and gtlsserver), RUNS of each (default 3),
with a fresh server for every run:

  pquic:  pquic server --port 0 (a generated body, GET /<N>), then
          pquic client --discard --version v1 https://127.0.0.1:P/<N>
  ngtcp2: gtlsserver -q -d DIR serving a 1 GB file in a temporary directory,
          then gtlsclient -q --exit-on-all-streams-close https://.../1g.bin
          (without --download and with -q it keeps nothing: its discard)

Both run QUIC v1, AES-128-GCM and CUBIC, the defaults of each side.
Goodput is body bytes x 8 over the client process's wall time (spawn to
exit: handshake and request included, the same measure for both). CPU
seconds come from the kernel: the client's from wait4's rusage, the
server's from /proc/PID/stat once the client has left, and the server's
peak RSS from VmHWM in /proc/PID/status. Each pair's transfer is checked
once, untimed, before the runs: the whole body must arrive (pquic: the
summary's byte count; gtlsclient: the file it saves in /dev/shm). A timed
gtlsclient run has no byte count (it exits 0 even after an idle timeout),
so one that takes longer than its idle timeout is counted as failed.

Prints one line per run, the medians, and last:
  goodput: pquic_mbps=... ngtcp2_mbps=... ratio=... server_rss_kb=...
(ratio = pquic / ngtcp2 median goodput; server_rss_kb = the pquic server's
largest VmHWM over its runs).

  goodput.py PQUIC [--runs N] [--bytes N]      environment: BENCH_GOODPUT_RUNS
"""
import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TICK = os.sysconf("SC_CLK_TCK")
IDLE_S = 10  # gtlsclient --timeout: a stalled run ends (and shows) after this


def die(msg):
    print(f"bench-goodput: error: {msg}", file=sys.stderr)
    sys.exit(1)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu(pid):
    """utime + stime of a live process, seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def udp_port_bound(port, pid):
    out = subprocess.run(["ss", "-Hunlp", f"sport = :{port}"], capture_output=True, text=True)
    return f"pid={pid}," in out.stdout


class Server:
    """A server process in its own process group, stopped on exit."""

    def __init__(self, cmd, log):
        self.log = open(log, "w+")
        self.p = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                  start_new_session=True)

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        if self.alive():
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.log.close()


def start_pquic(pquic, work):
    srv = Server([pquic, "server", "--addr", "127.0.0.1", "--port", "0", "--cert",
                  f"{work}/cert.pem", "--key", f"{work}/key.pem"], f"{work}/pquic-server.log")
    for _ in range(200):
        srv.log.seek(0)
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", srv.log.read())
        if m:
            return srv, int(m.group(1))
        if not srv.alive():
            break
        time.sleep(0.05)
    srv.stop()
    die("pquic server did not start (see its log above)")


def start_gtls(work):
    for _ in range(5):
        port = free_port()
        srv = Server(["gtlsserver", "-q", "-d", f"{work}/www", "127.0.0.1", str(port),
                      f"{work}/key.pem", f"{work}/cert.pem"], f"{work}/gtlsserver.log")
        for _ in range(100):
            if not srv.alive():
                break  # the port was taken meanwhile: another one
            if udp_port_bound(port, srv.p.pid):
                return srv, port
            time.sleep(0.05)
        srv.stop()
    die("gtlsserver did not start")


def run_client(cmd, timeout):
    """(wall seconds, exit status, stdout, stderr); -1 on timeout."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return time.monotonic() - t0, -1, out, "timeout"
    return time.monotonic() - t0, p.returncode, out, err


class ChildCpu:
    """CPU of the children reaped inside the block (RUSAGE_CHILDREN deltas):
    only the client is; servers are reaped after it."""

    def __enter__(self):
        r = os.times()
        self.start = r.children_user + r.children_system
        return self

    def __exit__(self, *exc):
        r = os.times()
        self.seconds = r.children_user + r.children_system - self.start


def pquic_client_cmd(pquic, port, size, discard=True, out=None):
    cmd = [pquic, "client", "--insecure", "--quiet", "--version", "v1"]
    cmd += ["--discard"] if discard else ["--output", out]
    return cmd + [f"https://127.0.0.1:{port}/{size}"]


def gtls_client_cmd(port, download=None):
    cmd = ["gtlsclient", "-q", "--exit-on-all-streams-close", f"--timeout={IDLE_S}s"]
    if download:
        cmd += ["--download", download]
    return cmd + ["127.0.0.1", str(port), f"https://127.0.0.1:{port}/1g.bin"]


def one(impl, args, work):
    """One timed transfer with a fresh server: a dict of figures."""
    if impl == "pquic":
        srv, port = start_pquic(args.pquic, work)
        cmd = pquic_client_cmd(args.pquic, port, args.bytes)
    else:
        srv, port = start_gtls(work)
        cmd = gtls_client_cmd(port)
    try:
        with ChildCpu() as cc:
            wall, rc, out, err = run_client(cmd, timeout=120)
        if not srv.alive():
            die(f"{impl} server died during the transfer")
        server_cpu = proc_cpu(srv.p.pid)
        hwm = proc_hwm_kb(srv.p.pid)
    finally:
        srv.stop()
    ok = rc == 0
    if impl == "pquic":
        ok = ok and re.search(rf"^bytes={args.bytes} ", out, re.M) is not None
    else:
        ok = ok and wall < IDLE_S  # an idle timeout would end it "successfully"
    if not ok:
        die(f"{impl} run failed (exit {rc}, {wall:.1f} s): {(err or out).strip()[-300:]}")
    gb = args.bytes / 1e9
    return {"mbps": args.bytes * 8 / wall / 1e6, "wall": wall,
            "client_cpu": cc.seconds / gb, "server_cpu": server_cpu / gb, "rss_kb": hwm}


def check_once(args, work):
    """Untimed: every byte arrives with each pair."""
    srv, port = start_pquic(args.pquic, work)
    try:
        _, rc, out, err = run_client(pquic_client_cmd(args.pquic, port, args.bytes), 300)
    finally:
        srv.stop()
    if rc != 0 or not re.search(rf"^bytes={args.bytes} ", out, re.M):
        die(f"pquic check transfer failed: {(err or out).strip()[-300:]}")
    dl = tempfile.mkdtemp(prefix="pquic-goodput-dl-", dir="/dev/shm")
    srv, port = start_gtls(work)
    try:
        _, rc, out, err = run_client(gtls_client_cmd(port, dl), 300)
        got = os.path.getsize(f"{dl}/1g.bin") if os.path.exists(f"{dl}/1g.bin") else 0
    finally:
        srv.stop()
        shutil.rmtree(dl, ignore_errors=True)
    if got != args.bytes:
        die(f"gtlsclient check transfer got {got} of {args.bytes} bytes (exit {rc})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pquic")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_GOODPUT_RUNS", "3")))
    ap.add_argument("--bytes", type=int, default=1000000000)
    args = ap.parse_args()
    if args.runs < 1:
        die("--runs must be at least 1")
    for tool in ("gtlsclient", "gtlsserver", "ss"):
        if not shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin"):
            die(f"{tool} not found (scripts/deps.sh installs ngtcp2-client, ngtcp2-server, "
                "iproute2)")
    os.environ["PATH"] += ":/usr/sbin:/sbin"
    work = tempfile.mkdtemp(prefix="pquic-goodput-")
    try:
        subprocess.run([args.pquic, "cert", "--cert", f"{work}/cert.pem", "--key",
                        f"{work}/key.pem", "--host", "127.0.0.1"], check=True)
        os.mkdir(f"{work}/www")
        # A real file (not a sparse one): 1 MiB of random bytes repeated.
        block = os.urandom(1 << 20)
        with open(f"{work}/www/1g.bin", "wb") as f:
            left = args.bytes
            while left > 0:
                f.write(block[:min(left, len(block))])
                left -= len(block)
        print(f"bench-goodput: {args.bytes} bytes on loopback, {args.runs} runs each, "
              f"load average {os.getloadavg()[0]:.2f}", flush=True)
        check_once(args, work)
        res = {"pquic": [], "ngtcp2": []}
        for i in range(args.runs):
            for impl in ("pquic", "ngtcp2"):
                r = one(impl, args, work)
                res[impl].append(r)
                print(f"run {i + 1} {impl:6s}: {r['mbps']:8.1f} Mbit/s  {r['wall']:6.3f} s  "
                      f"cpu/GB client {r['client_cpu']:5.2f} s server {r['server_cpu']:5.2f} s  "
                      f"server rss {r['rss_kb']} kB", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {impl: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
           for impl, rs in res.items()}
    for impl, m in med.items():
        print(f"median {impl:6s}: {m['mbps']:8.1f} Mbit/s  cpu/GB client {m['client_cpu']:.2f} s "
              f"server {m['server_cpu']:.2f} s  server rss {m['rss_kb']:.0f} kB")
    p, n = med["pquic"], med["ngtcp2"]
    print(f"cpu_s_per_gb: pquic_client={p['client_cpu']:.2f} pquic_server={p['server_cpu']:.2f} "
          f"ngtcp2_client={n['client_cpu']:.2f} ngtcp2_server={n['server_cpu']:.2f} "
          f"client_ratio={n['client_cpu'] / p['client_cpu']:.2f} "
          f"server_ratio={n['server_cpu'] / p['server_cpu']:.2f}")
    rss = max(r["rss_kb"] for r in res["pquic"])
    print(f"goodput: pquic_mbps={p['mbps']:.1f} ngtcp2_mbps={n['mbps']:.1f} "
          f"ratio={p['mbps'] / n['mbps']:.3f} server_rss_kb={rss}")


if __name__ == "__main__":
    main()
