#!/usr/bin/env python3
"""A hostile OCI registry for dredge's attack tests (crates/dredge/tests/registry_attacks.rs).

Serves the image tagged `t` of an OCI layout, misbehaving as MODE says, and records what it saw in
LOG, one event a line. A second, plain-HTTP listener plays the token endpoint or the redirect
target of the attacks, and logs every request it gets.

usage: hostile-registry.py PORTS LAYOUT LOG MODE [CERT KEY]

Both listeners bind port 0 (the kernel picks free ports, so parallel tests cannot race for one);
once both listen, "MAIN OTHER" is written to the file PORTS (written whole, then renamed).

MODE:
  realm-http      401 with a Bearer realm on the plain-HTTP listener (a credential sniffer)
  redirect-http   blob GETs redirected to the plain-HTTP listener
  slow-manifest   the manifest body sent one byte a second
  slow-headers    manifest requests never answered
  endless-blob    the layer blob followed by zstd skippable frames without end (chunked)
  huge-descriptor as endless-blob, and the manifest claims a layer of 100 GB
  dup-layers      the image's one layer listed 40 times
  many-layers     the image's one layer listed 5,000 times
"""
import hashlib
import http.server
import json
import os
import socketserver
import ssl
import struct
import sys
import threading
import time

PORTS, LAYOUT, LOG, MODE = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
CERT = sys.argv[5:7] if len(sys.argv) >= 7 else None
OTHER = 0  # set once the plain-HTTP listener has its port
lock = threading.Lock()


def log(event):
    with lock, open(LOG, "a") as f:
        f.write(event + "\n")


def blob(digest):
    with open(os.path.join(LAYOUT, "blobs", *digest.split(":")), "rb") as f:
        return f.read()


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


index = json.load(open(os.path.join(LAYOUT, "index.json")))
manifest_bytes = blob(index["manifests"][0]["digest"])
manifest = json.loads(manifest_bytes)
blobs = {}  # digest -> bytes, for what this registry serves besides the layout's blobs

if MODE in ("dup-layers", "many-layers", "huge-descriptor"):
    n = {"dup-layers": 40, "many-layers": 5000, "huge-descriptor": 1}[MODE]
    config = json.loads(blob(manifest["config"]["digest"]))
    layer = manifest["layers"][0]
    config["rootfs"]["diff_ids"] = [config["rootfs"]["diff_ids"][0]] * n
    config.pop("history", None)
    cfg = json.dumps(config).encode()
    blobs[sha(cfg)] = cfg
    manifest["config"] = {**manifest["config"], "digest": sha(cfg), "size": len(cfg)}
    if MODE == "huge-descriptor":
        layer = {**layer, "size": 100 * 10**9}
    manifest["layers"] = [layer] * n
    manifest_bytes = json.dumps(manifest).encode()
MANIFEST_DIGEST = sha(manifest_bytes)
LAYER_DIGESTS = {l["digest"] for l in manifest["layers"]}

SKIPPABLE = struct.pack("<II", 0x184D2A50, 1 << 20) + b"\0" * (1 << 20)


class Main(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        log(f"main {self.path} auth={self.headers.get('Authorization', '-')}")
        if MODE == "realm-http" and self.headers.get("Authorization") != "Bearer good":
            realm = f'Bearer realm="http://127.0.0.1:{OTHER}/token",service="hostile"'
            return self.send(401, b"{}", [("WWW-Authenticate", realm)])
        if self.path == "/v2/":
            return self.send(200, b"{}")
        parts = self.path.split("/")
        if len(parts) >= 5 and parts[-2] == "manifests":
            ref = parts[-1]
            if ref not in ("t", MANIFEST_DIGEST):
                return self.send(404, b"{}")
            if MODE == "slow-headers":
                time.sleep(600)
                return
            headers = [("Content-Type", manifest["mediaType"]), ("Docker-Content-Digest", MANIFEST_DIGEST)]
            if MODE == "slow-manifest":
                self.send_response(200)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(manifest_bytes)))
                self.end_headers()
                for i in range(len(manifest_bytes)):
                    self.wfile.write(manifest_bytes[i : i + 1])
                    self.wfile.flush()
                    time.sleep(1)
                return
            return self.send(200, manifest_bytes, headers)
        if len(parts) >= 5 and parts[-2] == "blobs":
            d = parts[-1]
            log(f"blob {d}")
            data = blobs.get(d)
            if data is None:
                try:
                    data = blob(d)
                except OSError:
                    return self.send(404, b"{}")
            if MODE == "redirect-http" and d in LAYER_DIGESTS:
                return self.send(307, b"", [("Location", f"http://127.0.0.1:{OTHER}/plain/{d}")])
            if MODE in ("endless-blob", "huge-descriptor") and d in LAYER_DIGESTS:
                return self.endless(data)
            return self.send(200, data, [("Content-Type", "application/octet-stream")])
        self.send(404, b"{}")

    def endless(self, data):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = 0
        try:
            self.chunk(data)
            sent += len(data)
            while sent < 20 * 10**9:
                self.chunk(SKIPPABLE)
                sent += len(SKIPPABLE)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            pass
        finally:
            log(f"endless-bytes {sent}")

    def chunk(self, b):
        self.wfile.write(b"%x\r\n" % len(b) + b + b"\r\n")


class Other(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        log(f"other {self.path} auth={self.headers.get('Authorization', '-')}")
        if self.path.startswith("/token"):
            body = b'{"token":"good"}'
        elif self.path.startswith("/plain/"):
            body = blob(self.path.rsplit("/", 1)[1])
        else:
            body = b"{}"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


other = Server(("127.0.0.1", 0), Other)
OTHER = other.server_address[1]
threading.Thread(target=other.serve_forever, daemon=True).start()
main = Server(("127.0.0.1", 0), Main)
if CERT:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT[0], CERT[1])
    main.socket = ctx.wrap_socket(main.socket, server_side=True)
with open(PORTS + ".tmp", "w") as f:
    f.write(f"{main.server_address[1]} {OTHER}\n")
os.rename(PORTS + ".tmp", PORTS)
main.serve_forever()
