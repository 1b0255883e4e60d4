#!/usr/bin/env python3
"""Serves a directory over HTTP on 127.0.0.1 for the `db update` tests: strong ETags (sha256 of the
content), 304 on If-None-Match, one log line per request (`METHOD path status`), and an optional
slow path that trickles its body so a test can kill the client mid-download.
Usage: http-source.py PORT DIR LOG [SLOW_PATH]"""
import hashlib, http.server, os, sys, time, urllib.parse

port, root, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
slow = sys.argv[4] if len(sys.argv) > 4 else None


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def record(self, status):
        with open(log, "a") as f:
            f.write(f"{self.command} {self.path} {status}\n")

    def do_GET(self):
        path = os.path.join(root, urllib.parse.unquote(self.path.lstrip("/")))
        if not os.path.isfile(path):
            self.record(404)
            self.send_response(404)
            self.end_headers()
            return
        data = open(path, "rb").read()
        etag = '"' + hashlib.sha256(data).hexdigest() + '"'
        if self.headers.get("If-None-Match") == etag:
            self.record(304)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.record(200)
        self.send_response(200)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if slow and self.path == slow:
            for i in range(0, len(data), 4096):
                self.wfile.write(data[i:i + 4096])
                self.wfile.flush()
                time.sleep(0.05)
        else:
            self.wfile.write(data)


http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
