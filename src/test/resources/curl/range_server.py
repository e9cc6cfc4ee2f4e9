#!/usr/bin/python3
"""A small web server for the curl plugin's tests: serves the files of one directory with
byte ranges, takes ranged PUTs, and logs every request (method, path, headers, the client's
port: one port per connection) as a JSON line, so a test can see what the client sent.

    range_server.py DIR PORTFILE LOGFILE [--tls CERT KEY] [--no-ranges] [--no-head]

Binds 127.0.0.1 on a free port and writes the port to PORTFILE once it listens. LOGFILE "-"
logs nothing (bench/bench.py's curl part).
  --no-ranges   ignore Range (200 with the whole file) and send no Accept-Ranges, like a
                server without range support
  --no-head     answer HEAD with 405, as some object stores do
Paths: /redirect/N/NAME answers 302 to /NAME after N hops; /auth/NAME needs the Basic
credentials user:secret (401 otherwise); /setcookie/NAME answers 302 to /NAME with a
Set-Cookie; /slow/NAME waits 5 s before answering; /to/SCHEME/PORT/NAME answers 302 to
SCHEME://127.0.0.1:PORT/NAME (another server, http:// or https://). A request line in absolute form
(http://host/NAME, as sent to a proxy) is served from NAME too: the log says proxy=true.
CONNECT HOST:PORT (an https:// request through a proxy) is logged and answered 200, then the
connection is a tunnel to 127.0.0.1:PORT (whatever HOST says).
"""
import base64, json, os, re, select, socket, ssl, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

root, portfile, logfile = sys.argv[1], sys.argv[2], sys.argv[3]
flags = sys.argv[4:]
no_ranges = "--no-ranges" in flags
no_head = "--no-head" in flags
tls = flags[flags.index("--tls") + 1:flags.index("--tls") + 3] if "--tls" in flags else None
log_lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self, status, proxy):
        if logfile == "-":
            return
        entry = {"method": self.command, "path": self.path, "status": status, "proxy": proxy,
                 "port": self.client_address[1],
                 "headers": [[k, v] for k, v in self.headers.items()]}
        with log_lock, open(logfile, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def reply(self, status, headers=(), body=b"", proxy=False):
        self.record(status, proxy)
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def target(self):
        """(name, proxied): the file asked for, and whether the request line was absolute."""
        path, proxied = self.path, False
        if path.startswith("http://") or path.startswith("https://"):
            path, proxied = urlsplit(path).path, True
        return path, proxied

    def route(self):
        path, proxied = self.target()
        m = re.match(r"^/redirect/(\d+)(/.*)$", path)
        if m:
            n = int(m.group(1))
            where = m.group(2) if n <= 1 else "/redirect/%d%s" % (n - 1, m.group(2))
            self.reply(302, [("Location", where)], proxy=proxied)
            return None
        m = re.match(r"^/to/(https?)/(\d+)(/.*)$", path)
        if m:
            self.reply(302, [("Location", "%s://127.0.0.1:%s%s" % m.groups())], proxy=proxied)
            return None
        m = re.match(r"^/setcookie(/.*)$", path)
        if m:
            self.reply(302, [("Location", m.group(1)), ("Set-Cookie", "session=s3cr3t; Path=/")], proxy=proxied)
            return None
        if path.startswith("/auth/"):
            want = "Basic " + base64.b64encode(b"user:secret").decode()
            if self.headers.get("Authorization") != want:
                self.reply(401, [("WWW-Authenticate", 'Basic realm="test"')], proxy=proxied)
                return None
            path = path[len("/auth"):]
        if path.startswith("/slow/"):
            time.sleep(5)
            path = path[len("/slow"):]
        name = os.path.join(root, os.path.basename(path))
        if not os.path.isfile(name):
            self.reply(404, proxy=proxied)
            return None
        return name, proxied

    def do_CONNECT(self):
        port = int(self.path.rsplit(":", 1)[1])
        try:
            upstream = socket.create_connection(("127.0.0.1", port))
        except OSError:
            self.reply(502, proxy=True)
            return
        self.record(200, True)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        ends = [self.connection, upstream]
        with upstream:
            while True:
                ready, _, _ = select.select(ends, [], [])
                for r in ready:
                    data = r.recv(65536)
                    if not data:
                        self.close_connection = True
                        return
                    (upstream if r is self.connection else self.connection).sendall(data)

    def do_HEAD(self):
        if no_head:
            self.reply(405)
            return
        r = self.route()
        if r is None:
            return
        name, proxied = r
        self.record(200, proxied)
        self.send_response(200)
        self.send_header("Content-Length", str(os.path.getsize(name)))
        if not no_ranges:
            self.send_header("Accept-Ranges", "bytes")
        self.end_headers()

    def do_GET(self):
        r = self.route()
        if r is None:
            return
        name, proxied = r
        size = os.path.getsize(name)
        m = re.match(r"^bytes=(\d+)-(\d*)$", self.headers.get("Range", ""))
        if no_ranges or not m:
            with open(name, "rb") as f:
                self.reply(200, [] if no_ranges else [("Accept-Ranges", "bytes")], f.read(), proxied)
            return
        first = int(m.group(1))
        last = min(int(m.group(2)) if m.group(2) else size - 1, size - 1)
        if first >= size:
            self.reply(416, [("Content-Range", "bytes */%d" % size)], proxy=proxied)
            return
        with open(name, "rb") as f:
            f.seek(first)
            data = f.read(last + 1 - first)
        self.reply(206, [("Content-Range", "bytes %d-%d/%d" % (first, last, size)),
                         ("Accept-Ranges", "bytes")], data, proxied)

    def do_PUT(self):
        r = self.route()
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if r is None:
            return
        name, proxied = r
        m = re.match(r"^bytes (\d+)-(\d+)/(\*|\d+)$", self.headers.get("Content-Range", ""))
        if not m or int(m.group(2)) - int(m.group(1)) + 1 != len(body):
            self.reply(400, proxy=proxied)
            return
        with open(name, "r+b") as f:
            f.seek(int(m.group(1)))
            f.write(body)
        self.reply(204, proxy=proxied)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
if tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tls[0], tls[1])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
