#!/usr/bin/python3
"""jnbdkit vs Debian's nbdkit, side by side, on the same plugins (issue 4).

Run through bench/run (which installs the tools first); see bench/README.md.
Standard library only; runs on Debian's /usr/bin/python3.

Method: every number is a ratio measured inside one run. Each round starts a
fresh pair of servers (one jnbdkit, one nbdkit) on the same plugin, warms both
up, then runs every workload on both back to back, alternating which goes
first. A workload's result is the median over rounds of the per-round ratio
jnbdkit/nbdkit. Start-up runs alternate the two servers the same way, every
start a cold process (no resident JVM).
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

BENCH = os.path.dirname(os.path.abspath(__file__))
HOME = os.path.dirname(BENCH)
JNBDKIT = os.path.join(HOME, "bin", "jnbdkit")
NBDKIT = shutil.which("nbdkit", path="/usr/sbin:/usr/bin") or "/usr/bin/nbdkit"
SYS_PYTHON = "/usr/bin/python3"  # the interpreter Debian's nbdkit python plugin embeds
GIB = 1 << 30
MIB = 1 << 20
SERVERS = ("jnbdkit", "nbdkit")
# Clients from Debian first on PATH (nbdsh needs Debian's python3 with the nbd module).
CLIENT_ENV = dict(os.environ, PATH="/usr/bin:/usr/sbin:/bin:" + os.environ.get("PATH", ""))
# jnbdkit embeds the same CPython as Debian's nbdkit for a fair comparison.
SERVER_ENV = dict(os.environ, JNBDKIT_PYTHON=SYS_PYTHON)

FIO_WORKLOADS = [
    # (id, label, rw, bs, iodepth)
    ("rr4k-qd1", "4K randread QD1", "randread", "4k", 1),
    ("rr4k-qd16", "4K randread QD16", "randread", "4k", 16),
    ("rw4k-qd16", "4K randwrite QD16", "randwrite", "4k", 16),
    ("r1m-qd4", "1M read QD4", "read", "1m", 4),
    ("w1m-qd4", "1M write QD4", "write", "1m", 4),
]
COPY_WORKLOADS = [
    ("copy-in", "nbdcopy 1 GiB in, 4 conns"),
    ("copy-out", "nbdcopy 1 GiB out, 4 conns"),
]
# The filters part: each "plugin" is a filter over the file plugin serving a file of random data
# (FILTER_BASE, in /dev/shm), the same command line on both servers. Steps run in this order on a
# fresh pair of servers each round: for cache, "cold" reads an empty cache (filling it:
# cache-on-read=true) and "warm" then reads the same bytes from the cache.
#   (id, label, kind, rw, bs, iodepth) with kind "fio" or "out" (nbdcopy out to null:)
FILTER_WORKLOADS = {
    # "file" is the same plugin with no filter: the reference the nofilter rows are read against
    # (a layer that only passes calls on should cost nothing measurable).
    "file": [
        ("file-rr4k", "4K randread QD16", "fio", "randread", "4k", 16),
        ("file-out", "nbdcopy out, 4 conns", "out", None, None, None),
    ],
    "nofilter": [
        ("nofilter-rr4k", "4K randread QD16", "fio", "randread", "4k", 16),
        ("nofilter-out", "nbdcopy out, 4 conns", "out", None, None, None),
    ],
    "cow": [
        ("cow-rw4k", "4K randwrite QD16 into the overlay", "fio", "randwrite", "4k", 16),
        ("cow-w1m", "1M write QD4 into the overlay", "fio", "write", "1m", 4),
        ("cow-rr4k", "4K randread QD16 through the overlay", "fio", "randread", "4k", 16),
        ("cow-out", "nbdcopy out through the overlay, 4 conns", "out", None, None, None),
    ],
    "cache": [
        ("cache-cold", "nbdcopy out, cold cache, 4 conns", "out", None, None, None),
        ("cache-warm", "nbdcopy out, warm cache, 4 conns", "out", None, None, None),
        ("cache-rr4k", "4K randread QD16, warm cache", "fio", "randread", "4k", 16),
    ],
}
FILTER_ARGS = {
    "file": [],
    "nofilter": ["--filter=nofilter"],
    "cow": ["--filter=cow"],
    "cache": ["--filter=cache", "cache-on-read=true"],
    "xz": ["--filter=xz"],
}
FILTER_BASE = []  # [path, size] of the file under the filters, set by main()
# The xz part: --filter=xz over `file IMAGE.xz`, IMAGE compressible data (random, 16-letter text
# and zeros in each MiB) compressed by `xz -1 --block-size=1MiB`, so a 4K random read decodes one
# 1 MiB block (nbdkit's and jnbdkit's block caches hold 8 blocks: nearly every read misses).
FILTER_WORKLOADS["xz"] = [
    ("xz-out", "nbdcopy out through the xz filter, 4 conns", "out", None, None, None),
    ("xz-r1m", "1M read QD4 through the xz filter", "fio", "read", "1m", 4),
    ("xz-rr4k", "4K randread QD16 through the xz filter", "fio", "randread", "4k", 16),
]
XZ_BLOCK = MIB
FILTER_FILES = {}  # filter -> [path, uncompressed size] for filters over a file of their own (xz, luks)
# The luks part: --filter=luks over `file IMAGE`, IMAGE a LUKSv1 image made by cryptsetup in
# /dev/shm (aes-xts-plain64, 512-bit key, sha256; key slot iterations forced to 1000, so that each
# connection's unlock takes no time on either server). The write row runs first and fills the
# payload; every row encrypts or decrypts. FILTER_ARGS["luks"] (the key file) is set by main().
FILTER_WORKLOADS["luks"] = [
    ("luks-w1m", "1M write QD4 (encrypting)", "fio", "write", "1m", 4),
    ("luks-r1m", "1M read QD4 (decrypting)", "fio", "read", "1m", 4),
    ("luks-rw4k", "4K randwrite QD16", "fio", "randwrite", "4k", 16),
    ("luks-rr4k", "4K randread QD16", "fio", "randread", "4k", 16),
    ("luks-out", "nbdcopy out, 4 conns", "out", None, None, None),
]
FILTER_ARGS["luks"] = ["--filter=luks"]
LUKS_TARGET = 1.0  # issue 11: at least nbdkit's speed
LUKS_KEY = []  # the key file of the luks image, removed at the end
# The plugins part: reads from plugins whose data comes from elsewhere, the same command line on
# both servers. pattern computes its bytes (the server's own overhead, nothing else); curl reads
# the random file FILTER_BASE from one local web server (src/test/resources/curl/range_server.py,
# Python's http.server with byte ranges) that both servers' curl plugin talk to, read-only (-r).
READ_WORKLOADS = {
    "pattern": [
        ("pattern-rr4k", "4K randread QD16", "fio", "randread", "4k", 16),
        ("pattern-r1m", "1M read QD4", "fio", "read", "1m", 4),
        ("pattern-out", "nbdcopy out, 4 conns", "out", None, None, None),
    ],
    "curl": [
        ("curl-rr4k", "4K randread QD16", "fio", "randread", "4k", 16),
        ("curl-r1m", "1M read QD4", "fio", "read", "1m", 4),
        ("curl-out", "nbdcopy out, 4 conns", "out", None, None, None),
    ],
}
READ_WHAT = {"pattern": "`pattern`", "curl": "`curl -r` from a local HTTP server"}
WEB_URL = []  # [url] of the file the curl part reads, set by main()
RANGE_SERVER = os.path.join(HOME, "src", "test", "resources", "curl", "range_server.py")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run_out(cmd, **kw):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw).stdout.strip()
    except Exception as e:  # noqa: BLE001 - best effort for the report
        return "unavailable (%s)" % e


# ---------------------------------------------------------------- plugins

def find_ramdisk():
    """The README's example plugin: the same file runs on both servers."""
    return os.path.join(HOME, "examples", "python", "ramdisk.py")


def plugin_args(plugin, size):
    if plugin in FILTER_ARGS:
        # nbdkit takes filter parameters after the plugin: --filter=X file PATH [filter params]
        a = FILTER_ARGS[plugin]
        path = FILTER_FILES.get(plugin, FILTER_BASE)[0]
        return a[:1] + ["file", path] + a[1:]
    if plugin in ("memory", "tls"):
        return ["memory", "size=%s" % size]
    if plugin == "pattern":
        return ["pattern", "size=%d" % FILTER_BASE[1]]
    if plugin == "curl":
        return ["-r", "curl", WEB_URL[0]]
    return ["python", find_ramdisk(), "size=%s" % size]


def server_cmd(server, plugin, size, extra):
    exe = JNBDKIT if server == "jnbdkit" else NBDKIT
    return [exe] + extra + plugin_args(plugin, size)


def python_host_available():
    """True when this jnbdkit can serve the Python plugin (the python host has landed)."""
    d = tempfile.mkdtemp(prefix="jnbdkit-probe.")
    try:
        r = subprocess.run(
            ["nbdinfo", "--size", "--", "["] + server_cmd("jnbdkit", "python", "1M", []) + ["]"],
            env=dict(CLIENT_ENV, JNBDKIT_PYTHON=SYS_PYTHON), capture_output=True, text=True,
            timeout=120, cwd=d)
        return r.returncode == 0 and r.stdout.strip() == str(MIB)
    except subprocess.TimeoutExpired:
        return False
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------- servers

class Server:
    """One server process listening on a Unix socket, in the foreground."""

    def __init__(self, server, plugin, size, tmp, extra_env=None, psk=None):
        self.name = server
        self.sock = os.path.join(tmp, "%s-%s.sock" % (server, plugin))
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        env = dict(SERVER_ENV, **(extra_env or {}))
        self.errlog = open(os.path.join(tmp, "%s-%s.log" % (server, plugin)), "ab")
        tls = ["--tls=require", "--tls-psk=" + psk] if psk else []
        self.cmd = server_cmd(server, plugin, size, ["-f", "-U", self.sock] + tls)
        self.proc = subprocess.Popen(self.cmd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.errlog, stderr=self.errlog, cwd=tmp)
        if psk:
            self.uri = "nbds+unix://bench@/?socket=%s&tls-psk-file=%s" % (self.sock, psk)
        else:
            self.uri = "nbd+unix:///?socket=" + self.sock
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s; see %s" % (self.cmd, self.proc.returncode,
                                                                  self.errlog.name))
            if os.path.exists(self.sock):
                try:
                    with socket.socket(socket.AF_UNIX) as s:
                        s.connect(self.sock)
                    break
                except OSError:
                    pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("%s did not listen within 120 s" % self.cmd)
            time.sleep(0.01)

    def status(self, key):
        """VmRSS / VmHWM of the server process, in bytes."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.errlog.close()


# ---------------------------------------------------------------- workloads

def fio(uri, rw, bs, depth, runtime, ramp, tmp):
    out = os.path.join(tmp, "fio.json")
    cmd = ["fio", "--name=bench", "--ioengine=nbd", "--uri=" + uri, "--rw=" + rw, "--bs=" + bs,
           "--iodepth=%d" % depth, "--numjobs=1", "--time_based", "--runtime=%g" % runtime,
           "--ramp_time=%g" % ramp, "--randrepeat=0", "--output-format=json", "--output=" + out]
    subprocess.run(cmd, env=CLIENT_ENV, check=True, stdout=subprocess.DEVNULL, timeout=runtime + ramp + 60)
    with open(out) as f:
        job = json.load(f)["jobs"][0]
    side = job["read"] if rw.endswith("read") else job["write"]
    return float(side["bw_bytes"])  # bytes/s; for a fixed bs, proportional to IOPS


def nbdcopy(src, dst, nbytes=GIB):
    t = time.perf_counter()
    subprocess.run(["nbdcopy", "--connections=4", src, dst], env=CLIENT_ENV, check=True,
                   stdout=subprocess.DEVNULL, timeout=600)
    return nbytes / (time.perf_counter() - t)  # bytes/s


FAILURES = []


def throughput_rounds(plugin, cfg, tmp, srcfile, results, rss):
    """cfg.rounds rounds of every throughput workload on a fresh pair of servers. A round in which
    a client fails is logged, reported and run again (twice at most), so one bad round on a noisy
    machine does not lose the run."""
    r = tries = 0
    while r < cfg.rounds:
        partial = {}
        try:
            one_round(plugin, cfg, tmp, srcfile, partial, rss, r)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, RuntimeError, OSError) as e:
            tries += 1
            logs = " ".join("%s: %s" % (os.path.basename(f), open(os.path.join(tmp, f), errors="replace").read()[-300:])
                            for f in os.listdir(tmp) if f.endswith(".log"))
            FAILURES.append("%s round %d: %s — server logs: %s" % (plugin, r + 1, e, logs.strip()))
            log("round failed (%s); %s" % (e, "retrying" if tries <= 2 else "giving up on this plugin"))
            if tries > 2:
                return
            continue
        for k, v in partial.items():
            results.setdefault(k, []).extend(v)
        r += 1


def one_round(plugin, cfg, tmp, srcfile, results, rss, r):
    if True:
        order = SERVERS if r % 2 == 0 else SERVERS[::-1]
        log("[%s] round %d/%d: starting servers" % (plugin, r + 1, cfg.rounds))
        for f in os.listdir(tmp):
            if f.endswith(".log"):
                os.unlink(os.path.join(tmp, f))
        servers = {}
        try:
            for s in SERVERS:
                servers[s] = Server(s, plugin, "1G", tmp)
            steps = []
            # nbdcopy in first: it fills the disk with random data, so the reads that follow read
            # real data (not holes) on both plugins.
            steps.append(("copy-in", lambda s: nbdcopy(srcfile, servers[s].uri)))
            for wid, _, rw, bs, qd in FIO_WORKLOADS:
                steps.append((wid, lambda s, rw=rw, bs=bs, qd=qd:
                              fio(servers[s].uri, rw, bs, qd, cfg.runtime, cfg.ramp, tmp)))
            steps.append(("copy-out", lambda s: nbdcopy(servers[s].uri, "null:")))
            # Warm-up: a short mixed run on each server (JIT for jnbdkit, page faults for both).
            for s in order:
                fio(servers[s].uri, "randrw", "64k", 8, cfg.warmup, 0, tmp)
            for i, (wid, fn) in enumerate(steps):
                pair = order if i % 2 == 0 else order[::-1]
                val = {}
                for s in pair:
                    val[s] = fn(s)
                results.setdefault((plugin, wid), []).append(val)
                log("  %-10s jnbdkit %8.1f MiB/s  nbdkit %8.1f MiB/s  ratio %.2f"
                    % (wid, val["jnbdkit"] / MIB, val["nbdkit"] / MIB, val["jnbdkit"] / val["nbdkit"]))
            for s in SERVERS:
                rss.setdefault((plugin, "peak", s), []).append(servers[s].status("VmHWM"))
        finally:
            for s in servers.values():
                s.stop()


def filter_rounds(plugin, cfg, tmp, results):
    """cfg.rounds rounds of the filter's workloads (FILTER_WORKLOADS) on a fresh pair of servers,
    alternating which server goes first, as the plugin rounds do. The warm-up reads only the last
    16 MiB (fio --offset), so the cache's cold row still reads a nearly empty cache."""
    size = FILTER_FILES.get(plugin, FILTER_BASE)[1]
    for r in range(cfg.rounds):
        order = SERVERS if r % 2 == 0 else SERVERS[::-1]
        log("[%s] round %d/%d: starting servers" % (plugin, r + 1, cfg.rounds))
        servers = {}
        try:
            for s in SERVERS:
                servers[s] = Server(s, plugin, None, tmp)
            for s in order:
                # luks: reads and writes, so that both the decrypting and the encrypting paths are
                # compiled before the first timed row (a write).
                warm_rw = "randrw" if plugin == "luks" else "randread"
                subprocess.run(["fio", "--name=warm", "--ioengine=nbd", "--uri=" + servers[s].uri,
                                "--rw=" + warm_rw, "--bs=64k", "--iodepth=8", "--offset=%d" % (size - 16 * MIB),
                                "--size=%d" % (16 * MIB), "--time_based", "--runtime=%g" % cfg.warmup],
                               env=CLIENT_ENV, check=True, stdout=subprocess.DEVNULL, timeout=cfg.warmup + 60)
            for i, (wid, _, kind, rw, bs, qd) in enumerate(FILTER_WORKLOADS.get(plugin) or READ_WORKLOADS[plugin]):
                val = {}
                for s in (order if i % 2 == 0 else order[::-1]):
                    if kind == "fio":
                        val[s] = fio(servers[s].uri, rw, bs, qd, cfg.runtime, cfg.ramp, tmp)
                    else:
                        val[s] = nbdcopy(servers[s].uri, "null:", size)
                results.setdefault((plugin, wid), []).append(val)
                log("  %-10s jnbdkit %8.1f MiB/s  nbdkit %8.1f MiB/s  ratio %.2f"
                    % (wid, val["jnbdkit"] / MIB, val["nbdkit"] / MIB, val["jnbdkit"] / val["nbdkit"]))
        finally:
            for s in servers.values():
                s.stop()


def start_web_server(tmp):
    """range_server.py serving FILTER_BASE's directory on a free port; sets WEB_URL."""
    portfile = os.path.join(tmp, "web.port")
    proc = subprocess.Popen([SYS_PYTHON, RANGE_SERVER, os.path.dirname(FILTER_BASE[0]), portfile, "-"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(tmp, "web.err"), "ab"))
    deadline = time.monotonic() + 60
    while not os.path.exists(portfile):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("range_server.py did not start; see %s" % os.path.join(tmp, "web.err"))
        time.sleep(0.05)
    with open(portfile) as f:
        port = int(f.read().strip())
    WEB_URL[:] = ["http://127.0.0.1:%d/%s" % (port, os.path.basename(FILTER_BASE[0]))]
    return proc


def filter_rows(results, missed):
    """Table rows of the filters part (no targets: measured to compare, not to meet; but the luks
    rows have LUKS_TARGET, and a miss is added to `missed`)."""
    rows = []
    parts = []
    for p, w in FILTER_WORKLOADS.items():
        what = "`file`, no filter" if not FILTER_ARGS[p] else "`--filter=%s` over `file`" % p
        if p == "xz":
            what = "`--filter=xz` over `file` (1 MiB blocks)"
        if p == "luks":
            what = "`--filter=luks` over `file` (LUKSv1 aes-xts-plain64)"
        parts.append((p, what, w))
    parts += [(p, READ_WHAT[p], w) for p, w in READ_WORKLOADS.items()]
    for plugin, what, workloads in parts:
        for wid, label, kind, rw, bs, qd in workloads:
            vals = results.get((plugin, wid))
            if not vals:
                continue
            if bs == "4k":
                j, n = fmt_iops(med(vals, "jnbdkit"), 4096), fmt_iops(med(vals, "nbdkit"), 4096)
            else:
                j, n = fmt_rate(med(vals, "jnbdkit")), fmt_rate(med(vals, "nbdkit"))
            r, tgt, verd = med_ratio(vals), "", ""
            if plugin == "luks":
                tgt, verd = "≥ %.1f×" % LUKS_TARGET, verdict(r >= LUKS_TARGET)
                if r < LUKS_TARGET:
                    missed.append("%s %s: %.2f× (target %s)" % (what, label, r, tgt))
            rows.append((what, label, j, n, "%.2f×" % r, per_round(vals), tgt, verd))
    # What the nofilter layer itself costs: jnbdkit with it over jnbdkit without it (the plugin
    # rounds and the nofilter rounds ran apart, so this carries the noise of both).
    for kind, label in (("rr4k", "4K randread QD16"), ("out", "nbdcopy out, 4 conns")):
        plain, layered = results.get(("file", "file-" + kind)), results.get(("nofilter", "nofilter-" + kind))
        if plain and layered:
            ratio = med(layered, "jnbdkit") / med(plain, "jnbdkit")
            rows.append(("`--filter=nofilter` ÷ no filter (jnbdkit only)", label, "", "", "%.2f×" % ratio, "",
                         "within noise of 1.0×", "met" if ratio >= 0.9 else "**MISSED**"))
    return rows


def make_luks_image(payload):
    """A LUKSv1 image with a `payload`-byte payload (cryptsetup puts it after 2 MiB of header and
    key slots for a 512-bit key) and its key file, in /dev/shm; sets FILTER_FILES and FILTER_ARGS."""
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    img = os.path.join(shm, "jnbdkit-bench-luks.%d.img" % os.getpid())
    key = img + ".key"
    LUKS_KEY[:] = [key]
    FILTER_FILES["luks"] = [img, payload]
    FILTER_ARGS["luks"] = ["--filter=luks", "passphrase=+" + key]
    with open(key, "w") as f:
        f.write("bench passphrase")
    with open(img, "wb") as f:
        f.truncate(payload + 2 * MIB)
    cryptsetup = shutil.which("cryptsetup", path="/usr/sbin:/sbin:/usr/bin") or "cryptsetup"
    log("formatting %s (LUKSv1, %d MiB payload)" % (img, payload // MIB))
    subprocess.run([cryptsetup, "luksFormat", "--type", "luks1", "--batch-mode", "--cipher", "aes-xts-plain64",
                    "--key-size", "512", "--hash", "sha256", "--pbkdf-force-iterations", "1000",
                    "--key-file", key, img], check=True, stdout=subprocess.DEVNULL, timeout=120)


def make_xz_image(path, size):
    """SIZE bytes of compressible data (per MiB: 256K random, 512K of 16 letters, 256K zeros),
    compressed to PATH by xz with XZ_BLOCK-sized blocks; the data file is removed."""
    raw = path[:-3]
    letters = bytes.maketrans(bytes(range(256)), bytes(b"abcdefghijklmnop"[i % 16] for i in range(256)))
    with open(raw, "wb") as w:
        for _ in range(size // MIB):
            w.write(os.urandom(256 * 1024))
            w.write(os.urandom(512 * 1024).translate(letters))
            w.write(bytes(256 * 1024))
    subprocess.run(["xz", "-1", "-T2", "-f", "--block-size=%d" % XZ_BLOCK, raw], check=True, timeout=1200)
    if os.path.exists(raw):
        os.unlink(raw)


def timed(cmd, env, cwd):
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd,
                       timeout=120)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (cmd, r.stderr.decode(errors="replace")[-2000:]))
    return dt


def startup_cmd(kind, server, plugin):
    if kind == "sa":
        # libnbd's [ CMD ] syntax: systemd socket activation, then the handshake nbdinfo answers.
        return ["nbdinfo", "--", "["] + server_cmd(server, plugin, "1M", []) + ["]"]
    argv = server_cmd(server, plugin, "1M", ["-s"])
    code = "h.connect_command(%r); h.pread(4096, 0); h.shutdown()" % argv
    return ["/usr/bin/nbdsh", "-c", code]


def startup(plugin, cfg, tmp, results):
    env = dict(CLIENT_ENV, JNBDKIT_PYTHON=SYS_PYTHON)
    for kind in ("sa", "s"):
        wid = "start-" + kind
        # One untimed start of each: the page cache holds the binaries, as on any used machine.
        for s in SERVERS:
            timed(startup_cmd(kind, s, plugin), env, tmp)
        for i in range(cfg.starts):
            order = SERVERS if i % 2 == 0 else SERVERS[::-1]
            val = {s: timed(startup_cmd(kind, s, plugin), env, tmp) for s in order}
            results.setdefault((plugin, wid), []).append(val)
        v = results[(plugin, wid)]
        log("[%s] %s: jnbdkit %.0f ms  nbdkit %.0f ms" % (
            plugin, wid, 1000 * statistics.median(x["jnbdkit"] for x in v),
            1000 * statistics.median(x["nbdkit"] for x in v)))
    # Client overhead: nbdsh alone (python + libnbd import), for reading the -s row.
    base = [timed(["/usr/bin/nbdsh", "-c", "pass"], env, tmp) for _ in range(max(3, cfg.starts // 3))]
    results[("client", "nbdsh-baseline")] = [{"jnbdkit": b, "nbdkit": b} for b in base]


def tls_rounds(cfg, tmp, srcfile, results):
    """nbdcopy in and out over TLS (PSK, as libnbd users set it up) on the memory plugin: the
    same client work for both servers, so the difference is the servers' TLS records and crypto."""
    psk = os.path.join(tmp, "bench.psk")
    with open(psk, "w") as f:
        f.write("bench:%s\n" % os.urandom(32).hex())
    os.chmod(psk, 0o600)
    for r in range(cfg.rounds):
        order = SERVERS if r % 2 == 0 else SERVERS[::-1]
        log("[tls] round %d/%d: starting servers" % (r + 1, cfg.rounds))
        servers = {}
        try:
            for s in SERVERS:
                servers[s] = Server(s, "tls", "1G", tmp, psk=psk)
            # Warm-up: one untimed copy in (fio's nbd engine cannot read a PSK file).
            for s in order:
                nbdcopy(srcfile, servers[s].uri)
            for i, (wid, src_dst) in enumerate((("copy-in", lambda s: (srcfile, servers[s].uri)),
                                                ("copy-out", lambda s: (servers[s].uri, "null:")))):
                val = {}
                for s in (order if i % 2 == 0 else order[::-1]):
                    val[s] = nbdcopy(*src_dst(s))
                results.setdefault(("tls", wid), []).append(val)
                log("  %-10s jnbdkit %8.1f MiB/s  nbdkit %8.1f MiB/s  ratio %.2f"
                    % (wid, val["jnbdkit"] / MIB, val["nbdkit"] / MIB, val["jnbdkit"] / val["nbdkit"]))
        finally:
            for s in servers.values():
                s.stop()


def idle_rss(plugin, cfg, tmp, rss):
    """RSS of a server that has started and sits idle (no client yet)."""
    size = "1M" if plugin == "python" else "1G"
    for i in range(cfg.rss_samples):
        for s in (SERVERS if i % 2 == 0 else SERVERS[::-1]):
            srv = Server(s, plugin, size, tmp)
            try:
                time.sleep(cfg.idle_wait)
                rss.setdefault((plugin, "idle", s), []).append(srv.status("VmRSS"))
            finally:
                srv.stop()


# ---------------------------------------------------------------- report

TARGETS = {
    # plugin -> (throughput floor, throughput aim)
    "python": (1.0, 1.2),
    "memory": (1.0, None),
    "tls": (1.0, None),
}
WHAT = {"python": "Python ramdisk.py", "memory": "memory", "tls": "memory over TLS (PSK)"}
# Start-up targets of issue 14 (time ratios, lower is better): memory 6x, Python 5x, aim 4x for both.
START_MAX = {"python": 5.0, "memory": 6.0}
START_AIM = 4.0
IDLE_RSS_MAX = 64 * MIB


def med_ratio(vals):
    return statistics.median(v["jnbdkit"] / v["nbdkit"] for v in vals)


def med(vals, s):
    return statistics.median(v[s] for v in vals)


def fmt_rate(b):
    return "%.0f MiB/s" % (b / MIB) if b >= 100 * MIB else "%.1f MiB/s" % (b / MIB)


def fmt_iops(b, bs):
    return "%.0f IOPS" % (b / bs)


def verdict(ok, aim_ok=None):
    if not ok:
        return "**MISSED**"
    if aim_ok is False:
        return "met (aim missed)"
    return "met"


def build_table(results, rss, plugins):
    rows = []
    missed = []
    bs_of = {w[0]: (4096 if w[3] == "4k" else MIB) for w in FIO_WORKLOADS}
    for plugin in plugins:
        if plugin not in TARGETS:
            continue
        floor, aim = TARGETS[plugin]
        what = WHAT[plugin]
        for wid, label in [(w[0], w[1]) for w in FIO_WORKLOADS] + COPY_WORKLOADS:
            vals = results.get((plugin, wid))
            if not vals:
                continue
            r = med_ratio(vals)
            if wid in bs_of and bs_of[wid] == 4096:
                j, n = fmt_iops(med(vals, "jnbdkit"), 4096), fmt_iops(med(vals, "nbdkit"), 4096)
            else:
                j, n = fmt_rate(med(vals, "jnbdkit")), fmt_rate(med(vals, "nbdkit"))
            ok = r >= floor
            aim_ok = None if aim is None else r >= aim
            tgt = "≥ %.1f×" % floor + (" (aim %.1f×)" % aim if aim else "")
            rows.append((what, label, j, n, "%.2f×" % r, per_round(vals), tgt, verdict(ok, aim_ok)))
            if not ok:
                missed.append("%s %s: %.2f× (target %s)" % (what, label, r, tgt))
        for wid, label in (("start-sa", "start-up: socket-activated nbdinfo"),
                           ("start-s", "start-up: -s, nbdsh connect/pread/shutdown")):
            vals = results.get((plugin, wid))
            if not vals:
                continue
            r = med_ratio(vals)
            j = "%.0f ms" % (1000 * med(vals, "jnbdkit"))
            n = "%.0f ms" % (1000 * med(vals, "nbdkit"))
            limit = START_MAX.get(plugin, START_AIM)
            tgt = "≤ %.0f× time (aim ≤ %.0f×)" % (limit, START_AIM)
            rows.append((what, label, j, n, "%.2f× time" % r, per_round(vals), tgt,
                         verdict(r <= limit, r <= START_AIM)))
            if r > limit:
                missed.append("%s %s: %.2f× nbdkit's time (target %s)" % (what, label, r, tgt))
        for kind, label in (("idle", "idle RSS"), ("peak", "peak RSS (VmHWM) after the workloads")):
            js, ns = rss.get((plugin, kind, "jnbdkit")), rss.get((plugin, kind, "nbdkit"))
            if not js or not ns:
                continue
            agg = statistics.median if kind == "idle" else max
            j, n = agg(js), agg(ns)
            sz = " (ramdisk size=1M)" if plugin == "python" and kind == "idle" else ""
            tgt, verd = "", ""
            if kind == "idle" and plugin == "python":
                tgt = "≤ 64 MiB"
                verd = verdict(j <= IDLE_RSS_MAX)
                if j > IDLE_RSS_MAX:
                    missed.append("%s idle RSS: %.1f MiB (target ≤ 64 MiB)" % (what, j / MIB))
            rows.append((what, label + sz, "%.1f MiB" % (j / MIB), "%.1f MiB" % (n / MIB),
                         "%.2f×" % (j / n), "", tgt, verd))
    rows.extend(filter_rows(results, missed))
    base = results.get(("client", "nbdsh-baseline"))
    return rows, missed, (statistics.median(v["nbdkit"] for v in base) if base else None)


def per_round(vals):
    return " ".join("%.2f" % (v["jnbdkit"] / v["nbdkit"]) for v in vals)


def versions():
    jv = run_out([JNBDKIT, "--version"])
    java_home = run_out([os.path.join(HOME, "bin", "find-java")])
    java = subprocess.run([os.path.join(java_home, "bin", "java"), "-version"], capture_output=True,
                          text=True).stderr.strip().splitlines()
    commit = run_out(["git", "-C", HOME, "rev-parse", "--short", "HEAD"])
    dirty = run_out(["git", "-C", HOME, "status", "--porcelain", "--untracked-files=no"])

    def dpkg(p):
        return run_out(["dpkg-query", "-W", "-f=${Version}", p])
    return [
        ("jnbdkit", "%s, commit %s%s" % (jv.splitlines()[0] if jv else "?", commit,
                                         " (with local changes)" if dirty else "")),
        ("Java", " / ".join(java[:2]) if java else "?"),
        ("nbdkit", "%s (Debian %s, nbdkit-plugin-python %s)" % (
            run_out([NBDKIT, "--version"]), dpkg("nbdkit"), dpkg("nbdkit-plugin-python"))),
        ("Python (both servers)", "%s %s" % (SYS_PYTHON, run_out([SYS_PYTHON, "--version"]))),
        ("fio", run_out(["fio", "--version"])),
        ("libnbd (nbdinfo, nbdcopy, nbdsh)", "libnbd-bin " + dpkg("libnbd-bin")),
    ]


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return "%s, %d CPUs, %.0f GiB RAM, Linux %s (%s)" % (
        model, os.cpu_count(), mem / GIB, platform.release(),
        run_out(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]))


def render(cfg, results, rss, plugins, command, started, elapsed, notes):
    rows, missed, nbdsh_base = build_table(results, rss, plugins)
    out = []
    out.append("## Latest run\n")
    out.append("- Command: `%s`" % command)
    out.append("- Date: %s, %.1f minutes" % (started.strftime("%Y-%m-%d %H:%M UTC"), elapsed / 60))
    out.append("- Machine: %s" % machine())
    for k, v in versions():
        out.append("- %s: %s" % (k, v))
    out.append("- Mode: %s — %d rounds × (fio %gs + %gs ramp per workload per server, nbdcopy 1 GiB), "
               "%d cold starts per start-up row per server" % (
                   "quick" if cfg.quick else "full", cfg.rounds, cfg.runtime, cfg.ramp, cfg.starts))
    out.append("")
    out.append("Ratio = jnbdkit ÷ nbdkit, median of per-round ratios (higher is better for "
               "throughput; for start-up the ratio is of times, lower is better). The jnbdkit and "
               "nbdkit columns are medians of the raw numbers, for scale only: compare ratios.\n")
    out.append("| plugin | workload | jnbdkit | nbdkit | ratio | per round | target | verdict |")
    out.append("|---|---|---:|---:|---:|---|---|---|")
    for r in rows:
        out.append("| " + " | ".join(r) + " |")
    out.append("")
    if nbdsh_base is not None:
        out.append("The `-s` rows include the client: `nbdsh -c pass` alone takes %.0f ms here "
                   "(Python start-up and the libnbd import), the same for both servers." % (
                       1000 * nbdsh_base))
    out.append("")
    out.append("**Targets missed in this run:** " + ("none." if not missed else ""))
    for m in missed:
        out.append("- " + m)
    if FAILURES:
        out.append("")
        out.append("Rounds that failed and were run again:")
        for f in FAILURES:
            out.append("- " + f.replace("|", "/").replace("\n", " "))
    out.extend([""] + notes)
    return "\n".join(out) + "\n", rows, missed


BEGIN, END = "<!-- bench:begin (generated by bench/run; edits here are overwritten) -->", "<!-- bench:end -->"

SKELETON = """# Benchmarks: jnbdkit vs nbdkit

Generated by `bench/run` (see bench/README.md). Everything between the two markers below is
rewritten by each run; the rest of this file (the profile notes) is kept.

%s
%s

## Profiles
""" % (BEGIN, END)


def write_doc(path, body):
    text = open(path).read() if os.path.exists(path) else SKELETON
    if BEGIN not in text or END not in text:
        text = SKELETON + "\n" + text
    pre, rest = text.split(BEGIN, 1)
    _, post = rest.split(END, 1)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(pre + BEGIN + "\n" + body + END + post)


# ---------------------------------------------------------------- main

def parse_size(text):
    m = re.fullmatch(r"(\d+)([KMG]?)", text.strip(), re.I)
    if not m:
        raise SystemExit("bad size %r (use e.g. 64M, 1G)" % text)
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2).upper()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a ~3-minute smoke run")
    ap.add_argument("--only", default="python,memory,tls,startup,rss,filters,xz,luks,pattern,curl",
                    help="comma list of parts: python, memory, tls, startup, rss, filters, xz, luks, pattern, "
                         "curl (default: all)")
    ap.add_argument("--filter-size", default=None,
                    help="size of the file under the filters part (default 1G, --quick 256M)")
    ap.add_argument("--output", default=os.path.join(HOME, "docs", "benchmarks.md"))
    ap.add_argument("--no-write", action="store_true", help="print the table, don't write the doc")
    ap.add_argument("--command", default="bench/run", help=argparse.SUPPRESS)
    cfg = ap.parse_args()
    if cfg.quick:
        cfg.rounds, cfg.runtime, cfg.ramp, cfg.warmup, cfg.starts, cfg.rss_samples, cfg.idle_wait = \
            2, 3, 1, 2, 5, 1, 1.0
    else:
        cfg.rounds, cfg.runtime, cfg.ramp, cfg.warmup, cfg.starts, cfg.rss_samples, cfg.idle_wait = \
            4, 6, 1, 3, 15, 3, 2.0
    parts = set(cfg.only.split(","))
    filter_size = parse_size(cfg.filter_size) if cfg.filter_size else (256 * MIB if cfg.quick else GIB)
    started = datetime.now(timezone.utc)
    t0 = time.monotonic()
    notes = []

    plugins = ["memory"]
    if python_host_available():
        plugins.insert(0, "python")
    else:
        notes.append("_The Python rows are missing: this jnbdkit cannot serve "
                     "`python %s` yet (the Python host has not landed)._" % os.path.relpath(find_ramdisk(), HOME))
        log("jnbdkit cannot serve the Python plugin yet: running the memory, start-up and RSS parts only")
    plugin = find_ramdisk()
    notes.append("Python plugin: `%s` (PARALLEL, API_VERSION 2, one bytearray; fio and nbdcopy rows "
                 "use size=1G so nbdcopy has 1 GiB to move, start-up and idle RSS use size=1M). Both servers "
                 "embed Debian's `%s`: jnbdkit is run with `JNBDKIT_PYTHON=%s`." % (
                     os.path.relpath(plugin, HOME), SYS_PYTHON, SYS_PYTHON))
    notes.append("jnbdkit is started by `bin/jnbdkit` exactly as a user would (the launcher script, "
                 "then a cold JVM each time); nbdkit is `%s`. Servers: default thread count (16). "
                 "fio: ioengine=nbd, one job, one connection, time based. The disk is filled with "
                 "random data by the `nbdcopy in` row before any read." % NBDKIT)

    results, rss = {}, {}
    tmp = tempfile.mkdtemp(prefix="jnbdkit-bench.")
    srcfile = None
    try:
        if {"python", "memory", "tls"} & parts:
            shm = "/dev/shm" if os.path.isdir("/dev/shm") else tmp
            srcfile = os.path.join(shm, "jnbdkit-bench-src.%d" % os.getpid())
            log("writing 1 GiB of random data to %s" % srcfile)
            with open("/dev/urandom", "rb") as r, open(srcfile, "wb") as w:
                for _ in range(GIB // (16 * MIB)):
                    w.write(r.read(16 * MIB))
        for p in plugins:
            if p in parts:
                throughput_rounds(p, cfg, tmp, srcfile, results, rss)
        if "tls" in parts:
            tls_rounds(cfg, tmp, srcfile, results)
        if "startup" in parts:
            for p in plugins:
                startup(p, cfg, tmp, results)
        if "rss" in parts:
            for p in plugins:
                idle_rss(p, cfg, tmp, rss)
        if {"filters", "pattern", "curl"} & parts:
            shm = "/dev/shm" if os.path.isdir("/dev/shm") else tmp
            base = os.path.join(shm, "jnbdkit-bench-base.%d" % os.getpid())
            log("writing %d MiB of random data to %s" % (filter_size // MIB, base))
            with open("/dev/urandom", "rb") as r, open(base, "wb") as w:
                for _ in range(filter_size // MIB):
                    w.write(r.read(MIB))
            FILTER_BASE[:] = [base, filter_size]
        if "filters" in parts:
            for p in FILTER_WORKLOADS:
                if p not in ("xz", "luks"):
                    filter_rounds(p, cfg, tmp, results)
        if "xz" in parts:
            shm = "/dev/shm" if os.path.isdir("/dev/shm") else tmp
            image = os.path.join(shm, "jnbdkit-bench-xz.%d.img.xz" % os.getpid())
            log("writing %d MiB of compressible data and compressing it to %s" % (filter_size // MIB, image))
            make_xz_image(image, filter_size)
            FILTER_FILES["xz"] = [image, filter_size]
            filter_rounds("xz", cfg, tmp, results)
        if "luks" in parts:
            make_luks_image(filter_size)
            filter_rounds("luks", cfg, tmp, results)
        if "pattern" in parts:
            filter_rounds("pattern", cfg, tmp, results)
        if "curl" in parts:
            web = start_web_server(tmp)
            try:
                filter_rounds("curl", cfg, tmp, results)
            finally:
                web.terminate()
                web.wait()
    finally:
        for path in LUKS_KEY:
            if os.path.exists(path):
                os.unlink(path)
        if srcfile and os.path.exists(srcfile):
            os.unlink(srcfile)
        if FILTER_BASE and os.path.exists(FILTER_BASE[0]):
            os.unlink(FILTER_BASE[0])
        for path, _ in FILTER_FILES.values():
            if os.path.exists(path):
                os.unlink(path)
    elapsed = time.monotonic() - t0
    if "filters" in parts:
        notes.append("Filter rows: `file BASE` alone and `--filter=nofilter file BASE` (what a pass-through layer "
                     "costs), `--filter=cow file BASE` and `--filter=cache file BASE cache-on-read=true` "
                     "on both servers, BASE a %d MiB file of random data in /dev/shm; the overlay and the "
                     "cache are in /var/tmp (each server's default). cow: fio writes into the overlay "
                     "(a 4K write into a 64K block not yet there is a read-modify-write of the block under both "
                     "servers; into a block already there nbdkit rewrites the whole block and jnbdkit writes "
                     "the 4K in place), then reads through it. cache: a "
                     "fresh cache each round, read once cold (filling it), then warm. No targets." % (filter_size // MIB))
    if "xz" in parts:
        notes.append("xz rows: `--filter=xz file IMAGE.xz` on both servers, IMAGE %d MiB of compressible data "
                     "(in each MiB: 256 KiB random, 512 KiB of random letters from 16, 256 KiB of zeros) made "
                     "by `xz -1 --block-size=1MiB` in /dev/shm; both filters keep 8 blocks per connection "
                     "(both decode with the system's liblzma, jnbdkit through FFM). No targets." % (filter_size // MIB))
    if "luks" in parts:
        notes.append("luks rows: `--filter=luks file IMAGE passphrase=+KEY` on both servers, IMAGE a LUKSv1 "
                     "image made by `cryptsetup luksFormat --type luks1` (aes-xts-plain64, 512-bit key, sha256, "
                     "`--pbkdf-force-iterations 1000`) with a %d MiB payload, in /dev/shm; the write row runs "
                     "first and fills it. Target: at least nbdkit's speed." % (filter_size // MIB))
    if {"pattern", "curl"} & parts:
        notes.append("Plugin read rows: `pattern size=%d` (bytes computed by the plugin: the server's own "
                     "cost per request) and `-r curl URL`, both servers reading the same %d MiB file of random "
                     "data from one local web server (Python's `http.server`, threaded, with byte ranges: "
                     "`src/test/resources/curl/range_server.py`), which bounds both. No targets." % (
                         filter_size, filter_size // MIB))
    if "tls" in parts:
        notes.append("TLS rows: the memory plugin with `--tls=require --tls-psk=FILE`, nbdcopy over "
                     "`nbds+unix://` with `tls-psk-file` (TLS 1.3 PSK; jnbdkit: BouncyCastle with the "
                     "JDK's AES-GCM, nbdkit: GnuTLS).")
    body, rows, missed = render(cfg, results, rss, plugins + (["tls"] if "tls" in parts else []),
                                cfg.command, started, elapsed, notes)
    print(body)
    if not cfg.no_write:
        write_doc(cfg.output, body)
        log("wrote %s" % cfg.output)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
