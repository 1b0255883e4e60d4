#!/usr/bin/env python3
"""A minimal Docker registry token server for tests (the bearer-token challenge flow): checks
HTTP basic credentials against USER:PASS and issues RS256 JWTs signed with openssl, carrying the
signing certificate in the `x5c` header so the registry can verify it against its root bundle.
Usage: token-server.py PORT KEY.pem CERT.pem USER PASS ISSUER SERVICE [TLS_CERT TLS_KEY]
With TLS_CERT/TLS_KEY it serves HTTPS, as real token endpoints do (dredge sends credentials to a
plain-HTTP endpoint only with --insecure)."""
import base64, http.server, json, os, ssl, subprocess, sys, time, urllib.parse

port, key, cert, user, password, issuer, service = sys.argv[1:8]


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], capture_output=True, check=True).stdout


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("token-server: " + fmt % args + "\n")

    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        auth = self.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        if auth != expected:
            self.send_response(401)
            self.end_headers()
            return
        access = []
        for scope in q.get("scope", []):
            typ, name, actions = scope.split(":", 2)
            access.append({"type": typ, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"alg": "RS256", "typ": "JWT", "x5c": [base64.b64encode(der).decode()]}
        claims = {"iss": issuer, "sub": user, "aud": q.get("service", [service])[0], "exp": now + 600,
                  "nbf": now - 60, "iat": now, "jti": b64(os.urandom(12)), "access": access}
        signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing_input.encode(),
                             capture_output=True, check=True).stdout
        body = json.dumps({"token": signing_input + "." + b64(sig)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = http.server.HTTPServer(("127.0.0.1", int(port)), H)
if len(sys.argv) >= 10:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[8], sys.argv[9])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
