#!/usr/bin/python3
# A small S3-compatible object store for the tests (Python's standard library only): enough of
# the S3 REST API for what boto3 sends on behalf of nbdkit's S3 plugin (nbdkit-S3-plugin):
#
#   HEAD   /BUCKET/KEY                      head_object
#   GET    /BUCKET/KEY   [Range: bytes=A-B] get_object (206 with a range; NoSuchKey as S3 says it)
#   PUT    /BUCKET/KEY                      put_object (Expect: 100-continue handled)
#   GET    /BUCKET?list-type=2&prefix=&start-after=&continuation-token=&max-keys=&encoding-type=url
#                                           list_objects_v2 (pages of max-keys, 1000 by default)
#   POST   /BUCKET?delete                   delete_objects (the XML list; Quiet honoured)
#
# Path-style and virtual-hosted-style (BUCKET.host) addressing both work. Signatures are not
# checked, but the access key id of every signed request is recorded, so a test can see which
# credentials the client used. For the test itself (not S3):
#
#   PUT    /_fake/object/BUCKET/KEY         store an object without a signature
#   POST   /_fake/reset                     forget every object, key id and count
#   GET    /_fake/state                     JSON: every object (bucket, key, size, sha256), the
#                                           access key ids seen, a count of requests by operation
#
#   fakes3.py PORTFILE     listen on 127.0.0.1, an ephemeral port, written to PORTFILE once bound
import hashlib
import http.server
import json
import os
import re
import sys
import threading
import urllib.parse
from email.utils import formatdate
from xml.etree import ElementTree
from xml.sax.saxutils import escape

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
LAST_MODIFIED_ISO = "2024-01-01T00:00:00.000Z"
LAST_MODIFIED_HTTP = formatdate(1704067200, usegmt=True)

lock = threading.Lock()
objects = {}                # (bucket, key) -> bytes
access_keys = set()
counts = {}


def count(op):
    with lock:
        counts[op] = counts.get(op, 0) + 1


def etag(data):
    return '"%s"' % hashlib.md5(data).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"    # keep-alive (boto3 pools connections) and 100-continue

    def log_message(self, fmt, *args):
        pass

    # -- parsing ---------------------------------------------------------------------------
    def target(self):
        """(bucket, key, query) of the request, for either addressing style."""
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        path = urllib.parse.unquote(url.path)
        host = (self.headers.get("Host") or "").split(":")[0]
        if host and not re.match(r"^[0-9.]+$", host) and host.count(".") >= 1 and host != "localhost":
            return host.split(".")[0], path.lstrip("/"), query
        parts = path.lstrip("/").split("/", 1)
        return parts[0], parts[1] if len(parts) > 1 else "", query

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def note_credentials(self):
        m = re.search(r"Credential=([^/]+)/", self.headers.get("Authorization") or "")
        if m:
            with lock:
                access_keys.add(m.group(1))

    # -- replies ---------------------------------------------------------------------------
    def reply(self, status, body=b"", headers=(), head=False):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amz-request-id", "fake")
        self.end_headers()
        if body and not head:
            self.wfile.write(body)

    def xml(self, status, text):
        self.reply(status, ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode(),
                   [("Content-Type", "application/xml")])

    def error(self, status, code, message, key="", head=False):
        if head:
            return self.reply(status, head=True)
        self.xml(status, "<Error><Code>%s</Code><Message>%s</Message><Key>%s</Key><RequestId>fake</RequestId>"
                 "</Error>" % (code, escape(message), escape(key)))

    # -- methods ---------------------------------------------------------------------------
    def do_HEAD(self):
        self.note_credentials()
        bucket, key, _ = self.target()
        count("HeadObject")
        with lock:
            data = objects.get((bucket, key))
        if data is None:
            return self.error(404, "NoSuchKey", "The specified key does not exist.", key, head=True)
        self.reply(200, data, self.object_headers(data), head=True)

    def object_headers(self, data):
        return [("ETag", etag(data)), ("Last-Modified", LAST_MODIFIED_HTTP),
                ("Content-Type", "binary/octet-stream"), ("Accept-Ranges", "bytes")]

    def do_GET(self):
        if self.path == "/_fake/state":
            return self.state()
        self.note_credentials()
        bucket, key, query = self.target()
        if key == "" and query.get("list-type") == ["2"]:
            return self.list_v2(bucket, query)
        count("GetObject")
        with lock:
            data = objects.get((bucket, key))
        if data is None:
            return self.error(404, "NoSuchKey", "The specified key does not exist.", key)
        rng = self.headers.get("Range")
        if rng is None:
            return self.reply(200, data, self.object_headers(data))
        m = re.match(r"^bytes=(\d+)-(\d*)$", rng)
        if not m:
            return self.error(400, "InvalidArgument", "bad Range " + rng, key)
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else len(data) - 1
        if first >= len(data):
            return self.error(416, "InvalidRange", "The requested range is not satisfiable", key)
        last = min(last, len(data) - 1)
        part = data[first:last + 1]
        self.reply(206, part, self.object_headers(data)
                   + [("Content-Range", "bytes %d-%d/%d" % (first, last, len(data)))])

    def do_PUT(self):
        if self.path.startswith("/_fake/object/"):
            bucket, key = urllib.parse.unquote(self.path[len("/_fake/object/"):]).split("/", 1)
            data = self.body()
            with lock:
                objects[(bucket, key)] = data
            return self.reply(200)
        self.note_credentials()
        bucket, key, _ = self.target()
        count("PutObject")
        data = self.body()
        with lock:
            objects[(bucket, key)] = data
        self.reply(200, headers=[("ETag", etag(data))])

    def do_POST(self):
        if self.path == "/_fake/reset":
            self.body()
            with lock:
                objects.clear()
                access_keys.clear()
                counts.clear()
            return self.reply(200)
        self.note_credentials()
        bucket, _, query = self.target()
        if "delete" not in query:
            return self.error(501, "NotImplemented", "only ?delete is implemented")
        count("DeleteObjects")
        root = ElementTree.fromstring(self.body())
        strip = lambda tag: tag.split("}")[-1]
        quiet = any(strip(e.tag) == "Quiet" and e.text.strip().lower() == "true" for e in root)
        deleted = []
        for obj in root:
            if strip(obj.tag) != "Object":
                continue
            key = next(e.text for e in obj if strip(e.tag) == "Key")
            with lock:
                objects.pop((bucket, key), None)     # S3 reports a missing key as deleted too
            deleted.append(key)
        inner = "" if quiet else "".join("<Deleted><Key>%s</Key></Deleted>" % escape(k) for k in deleted)
        self.xml(200, '<DeleteResult xmlns="%s">%s</DeleteResult>' % (NS, inner))

    def list_v2(self, bucket, query):
        count("ListObjectsV2")
        one = lambda name, default="": query.get(name, [default])[0]
        prefix, start_after = one("prefix"), one("start-after")
        token, max_keys = one("continuation-token"), int(one("max-keys", "1000"))
        url_encoded = one("encoding-type") == "url"
        after = token or start_after
        with lock:
            keys = sorted(k for (b, k) in objects if b == bucket and k.startswith(prefix) and k > after)
            sizes = {k: len(objects[(bucket, k)]) for k in keys}
            tags = {k: etag(objects[(bucket, k)]) for k in keys}
        page, truncated = keys[:max_keys], len(keys) > max_keys
        enc = (lambda k: urllib.parse.quote(k, safe="/")) if url_encoded else (lambda k: k)
        contents = "".join(
            "<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>%s</ETag><Size>%d</Size>"
            "<StorageClass>STANDARD</StorageClass></Contents>"
            % (escape(enc(k)), LAST_MODIFIED_ISO, escape(tags[k]), sizes[k]) for k in page)
        extra = ""
        if truncated:
            extra += "<NextContinuationToken>%s</NextContinuationToken>" % escape(page[-1])
        if token:
            extra += "<ContinuationToken>%s</ContinuationToken>" % escape(token)
        if start_after:
            extra += "<StartAfter>%s</StartAfter>" % escape(enc(start_after))
        if url_encoded:
            extra += "<EncodingType>url</EncodingType>"
        self.xml(200, '<ListBucketResult xmlns="%s"><Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount>'
                 "<MaxKeys>%d</MaxKeys><IsTruncated>%s</IsTruncated>%s%s</ListBucketResult>"
                 % (NS, escape(bucket), escape(enc(prefix)), len(page), max_keys,
                    "true" if truncated else "false", extra, contents))

    def state(self):
        with lock:
            s = {"objects": [{"bucket": b, "key": k, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                             for (b, k), d in sorted(objects.items())],
                 "access_keys": sorted(access_keys), "counts": dict(sorted(counts.items()))}
        self.reply(200, json.dumps(s, indent=1).encode(), [("Content-Type", "application/json")])


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()


main()
