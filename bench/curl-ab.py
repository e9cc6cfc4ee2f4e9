#!/usr/bin/python3
"""Alternating A/B of the curl rows with CPU per MiB: two servers (default jnbdkit and Debian's
nbdkit; or two jnbdkit builds) started once on the same command line, `-r curl URL`, reading one
256 MiB random file from one range_server.py; fio 4K randread QD16, 1M read QD4 and nbdcopy out
(4 connections), the order swapped every round. Each line prints MiB/s, the server's CPU
(utime+stime from /proc) per MiB, and the web server's.

    bench/curl-ab.py [--a EXE] [--b EXE] [--aextra 'k=v ...'] [--bextra ...] [--rows rr4k,r1m,out]
                     [--runs 5] [--rt 5] [--warm 5] [--tls]
"""
import argparse, json, os, shutil, socket, statistics, subprocess, tempfile, time

HOME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("--a", default=os.path.join(HOME, "bin", "jnbdkit"))
ap.add_argument("--b", default="/usr/bin/nbdkit")
ap.add_argument("--aextra", default="")
ap.add_argument("--bextra", default="")
ap.add_argument("--rows", default="rr4k,r1m,out")
ap.add_argument("--runs", type=int, default=5)
ap.add_argument("--rt", type=float, default=5, help="seconds per fio run")
ap.add_argument("--warm", type=float, default=5, help="seconds of 64k randread on each server first")
ap.add_argument("--tls", action="store_true", help="https:// with a self-signed certificate (cainfo= is added)")
ap.add_argument("--cold", action="store_true",
                help="as bench/run --quick: new servers every round, each warmed for --warm s (try --warm 2 --rt 3)")
args = ap.parse_args()
tmp = tempfile.mkdtemp(prefix="curl-ab.", dir="/dev/shm")
HZ = os.sysconf("SC_CLK_TCK")
procs = []


def cpu(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / HZ


def start(name, exe, extra, url):
    sock = os.path.join(tmp, name + ".sock")
    if os.path.exists(sock):
        os.unlink(sock)
    p = subprocess.Popen([exe, "-f", "-U", sock, "-r", "curl", url] + extra,
                         stderr=open(os.path.join(tmp, name + ".log"), "w"))
    procs.append(p)
    deadline = time.monotonic() + 120
    while True:
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(sock)
            return p, "nbd+unix:///?socket=" + sock
        except OSError:
            if p.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("%s did not start: see %s.log" % (exe, name))
            time.sleep(0.05)


def fio(uri, rw, bs, qd, rt):
    out = subprocess.run(["fio", "--name=b", "--ioengine=nbd", "--uri=" + uri, "--rw=" + rw, "--bs=" + bs,
                          "--iodepth=%d" % qd, "--numjobs=1", "--time_based", "--runtime=%g" % rt,
                          "--randrepeat=0", "--output-format=json"], capture_output=True, text=True, check=True).stdout
    j = json.loads(out[out.index("{"):])["jobs"][0]["read"]
    return j["io_bytes"], j["runtime"] / 1000


def copy(uri, size):
    t = time.perf_counter()
    subprocess.run(["nbdcopy", "--connections=4", uri, "null:"], check=True)
    return size, time.perf_counter() - t


try:
    www = os.path.join(tmp, "www")
    os.makedirs(www)
    size = 256 << 20
    with open(os.path.join(www, "disk.img"), "wb") as f:
        f.write(os.urandom(size))
    tls, extra = [], []
    if args.tls:
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", key,
                        "-out", cert, "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        tls, extra = ["--tls", cert, key], ["cainfo=" + cert]
    web = subprocess.Popen(["/usr/bin/python3", os.path.join(HOME, "src", "test", "resources", "curl", "range_server.py"),
                            www, os.path.join(tmp, "port"), "-"] + tls)
    procs.append(web)
    while not os.path.exists(os.path.join(tmp, "port")):
        time.sleep(0.05)
    url = "%s://127.0.0.1:%s/disk.img" % ("https" if args.tls else "http", open(os.path.join(tmp, "port")).read())

    def servers():
        s = {"A": start("A", args.a, args.aextra.split() + extra, url), "B": start("B", args.b, args.bextra.split() + extra, url)}
        for k in s:
            fio(s[k][1], "randread", "64k", 8, args.warm)
        return s

    srv = servers()
    rows = {"rr4k": lambda u: fio(u, "randread", "4k", 16, args.rt), "r1m": lambda u: fio(u, "read", "1m", 4, args.rt),
            "out": lambda u: copy(u, size)}
    res = {}
    for i in range(args.runs):
        if args.cold and i > 0:
            for k in srv:
                srv[k][0].terminate()
                srv[k][0].wait()
            srv = servers()
        for row in args.rows.split(","):
            for k in (["A", "B"] if i % 2 == 0 else ["B", "A"]):
                c0, w0 = cpu(srv[k][0].pid), cpu(web.pid)
                n, t = rows[row](srv[k][1])
                c1, w1 = cpu(srv[k][0].pid), cpu(web.pid)
                mib = n / 2 ** 20
                res.setdefault((row, k), []).append((mib / t, (c1 - c0) / mib * 1000, (w1 - w0) / mib * 1000))
            a, b = res[(row, "A")][-1], res[(row, "B")][-1]
            print("%d %-5s A %7.1f MiB/s %6.2f ms/MiB (web %5.2f) | B %7.1f MiB/s %6.2f ms/MiB (web %5.2f) | ratio %.2f"
                  % (i, row, *a, *b, a[0] / b[0]), flush=True)
    for row in args.rows.split(","):
        med = {k: [statistics.median(x[j] for x in res[(row, k)]) for j in range(3)] for k in "AB"}
        print("median %-5s A %7.1f MiB/s cpu %.2f ms/MiB | B %7.1f MiB/s cpu %.2f ms/MiB | ratio %.2f"
              % (row, med["A"][0], med["A"][1], med["B"][0], med["B"][1], med["A"][0] / med["B"][0]))
finally:
    for p in procs:
        p.terminate()
        p.wait()
    shutil.rmtree(tmp, ignore_errors=True)
