#!/usr/bin/python3
"""Server CPU per nbdcopy, jnbdkit against nbdkit (and optionally another jnbdkit build).

The bench's copy rows are wall time on a shared 2-core machine; this measures what each server
spent: utime+stime of the whole server process around each copy (/proc/PID/stat, 10 ms ticks),
and the part of it on the JIT's compiler threads, with the copy's wall time. Servers start as
bench.py starts them (its Server class and command lines), fresh each round, warmed up as
bench.py's rounds are (fio 64K QD8 for 2 s: random reads of the last 16 MiB for the filter and
pattern rows, random reads and writes over the whole disk for memory), then COPIES copies run on each, alternating which server goes first.

    bench/copycpu.py cow                       # --filter=cow file BASE, 256 MiB, 5 rounds x 2 copies
    bench/copycpu.py file --size 1G --copies 4
    bench/copycpu.py memory-in --size 1G       # nbdcopy from a random file into memory size=SIZE
    bench/copycpu.py pattern --other /path/to/other/clone/bin/jnbdkit   # A/B two builds

ROW: file, nofilter, cow, cache (cache-on-read=true: copy 1 is cold, later ones warm), pattern,
memory-in, memory-out. Run it on Debian's /usr/bin/python3 with the clients installed
(bench/run does that).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (bench.py: Server, nbdcopy, command lines)

MIB = bench.MIB


def ticks(pid):
    """(process utime+stime, compiler threads' utime+stime) in clock ticks."""
    def cpu(stat):
        f = stat[stat.rindex(")") + 2:].split()
        return int(f[11]) + int(f[12])
    with open("/proc/%d/stat" % pid) as f:
        total = cpu(f.read())
    jit = 0
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, t)) as f:
                s = f.read()
        except OSError:
            continue  # the thread ended meanwhile
        if "CompilerThre" in s[s.index("(") + 1:s.rindex(")")]:
            jit += cpu(s)
    return total, jit


def random_file(path, size):
    with open("/dev/urandom", "rb") as r, open(path, "wb") as w:
        for _ in range(size // (16 * MIB)):
            w.write(r.read(16 * MIB))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("row", choices=["file", "nofilter", "cow", "cache", "pattern", "memory-in", "memory-out"])
    ap.add_argument("--size", default="256M", help="disk and copy size (default 256M, bench --quick's)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--copies", type=int, default=2, help="copies per server per round")
    ap.add_argument("--other", help="another jnbdkit launcher to compare (an A/B of two builds)")
    cfg = ap.parse_args()
    size = bench.parse_size(cfg.size)
    memory = cfg.row.startswith("memory")
    plugin = "memory" if memory else cfg.row

    tmp = tempfile.mkdtemp(prefix="jnbdkit-copycpu.")
    src = os.path.join("/dev/shm" if os.path.isdir("/dev/shm") else tmp, "jnbdkit-copycpu.%d" % os.getpid())
    try:
        random_file(src, size)
        bench.FILTER_BASE[:] = [src, size]
        own = bench.JNBDKIT
        servers = [("jnbdkit", own), ("nbdkit", bench.NBDKIT)]
        if cfg.other:
            servers.insert(1, ("other", cfg.other))
        res = {}
        for r in range(cfg.rounds):
            order = servers if r % 2 == 0 else servers[::-1]
            running = {}
            try:
                for name, exe in servers:
                    # Server names its socket and log after the implementation: the other jnbdkit
                    # build gets a directory of its own.
                    where = os.path.join(tmp, name)
                    os.makedirs(where, exist_ok=True)
                    bench.JNBDKIT = exe if name != "nbdkit" else own
                    running[name] = bench.Server("nbdkit" if name == "nbdkit" else "jnbdkit", plugin,
                                                 size, where)
                bench.JNBDKIT = own
                for name, _ in order:
                    uri = running[name].uri
                    # As bench.py: memory rounds warm up with random 64K reads and writes over the
                    # whole disk, filter rounds with reads of the last 16 MiB.
                    warm = (["--rw=randrw"] if memory else
                            ["--rw=randread", "--offset=%d" % (size - 16 * MIB), "--size=%d" % (16 * MIB)])
                    subprocess.run(["fio", "--name=warm", "--ioengine=nbd", "--uri=" + uri, "--bs=64k",
                                    "--iodepth=8", "--time_based", "--runtime=2"] + warm,
                                   env=bench.CLIENT_ENV, check=True, stdout=subprocess.DEVNULL)
                    if cfg.row == "memory-out":
                        bench.nbdcopy(src, uri, size)
                for c in range(cfg.copies):
                    for name, _ in (order if c % 2 == 0 else order[::-1]):
                        s = running[name]
                        t0 = ticks(s.proc.pid)
                        if cfg.row == "memory-in":
                            rate = bench.nbdcopy(src, s.uri, size)
                        else:
                            rate = bench.nbdcopy(s.uri, "null:", size)
                        t1 = ticks(s.proc.pid)
                        res.setdefault((name, c), []).append((t1[0] - t0[0], t1[1] - t0[1], size / rate))
                bench.log("round %d: %s" % (r + 1, "  ".join(
                    "%s copy%d %d ticks %.2fs" % (n, c + 1, res[(n, c)][-1][0], res[(n, c)][-1][2])
                    for c in range(cfg.copies) for n, _ in servers)))
            finally:
                for s in running.values():
                    s.stop()
        print("%s, %s, medians of %d rounds (CPU in 10 ms ticks of the server process; JIT = its "
              "compiler threads)" % (cfg.row, cfg.size, cfg.rounds))
        for c in range(cfg.copies):
            for name, _ in servers:
                v = res[(name, c)]
                print("  copy %d  %-8s CPU %4.0f  JIT %3.0f  wall %.3f s" % (
                    c + 1, name, statistics.median(x[0] for x in v), statistics.median(x[1] for x in v),
                    statistics.median(x[2] for x in v)))
    finally:
        if os.path.exists(src):
            os.unlink(src)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
