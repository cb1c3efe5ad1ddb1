#!/usr/bin/env python3
"""A fault-injecting proxy between kdrift and the test kube-apiserver, for reliability tests.

kdrift talks plain HTTP to 127.0.0.1:PORT; the proxy forwards every request to the API server
over TLS with the admin's client certificate, streaming responses (watches included). Faults are
asked for over the same port:

  POST /__fault  {"match": "configmaps", "watch": true, "action": "status", "code": 410, "count": 1}
                 {"match": "...", "action": "reset"}              close the connection mid-request
                 {"match": "...", "action": "stall", "seconds": 30}  accept, then say nothing
                 {"match": "...", "action": "slow", "seconds": 2}    answer after a delay
                 {"action": "cut"}      end every open stream now (a connection blip)
             a rule may also name "method" (PATCH, ...) and "unless" (a substring the path must not have)
  GET  /__hits   how many requests each rule caught, and every request seen (method, path)

Usage: fault-proxy.py PORT UPSTREAM CA CERT KEY [pass-auth]   (prints "ready PORT" when listening)
  pass-auth: no client certificate; the client's own Authorization header goes to the server
  (a test of tokens that expire needs the server to see kdrift's token, not the admin's).
"""
import http.client
import json
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

PORT, UPSTREAM, CA, CERT, KEY = sys.argv[1:6]
PASS_AUTH = sys.argv[6:7] == ["pass-auth"]
UP = urlsplit(UPSTREAM)
CTX = ssl.create_default_context(cafile=CA)
if not PASS_AUTH:
    CTX.load_cert_chain(CERT, KEY)

LOCK = threading.Lock()
RULES = []          # dicts with a "hits" counter
SEEN = []           # (method, path), bounded
OPEN = set()        # sockets of streams in flight, for "cut"
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
       "proxy-connection", "content-length"}


def rule_for(method, path):
    is_watch = "watch=true" in path or "watch=1" in path
    with LOCK:
        SEEN.append((method, path))
        del SEEN[:-2000]
        for r in RULES:
            if r.get("count", 1) <= r["hits"]:
                continue
            if r.get("match", "") not in path:
                continue
            if r.get("method", method) != method:
                continue
            if "unless" in r and r["unless"] in path:
                continue
            if "watch" in r and r["watch"] != is_watch:
                continue
            r["hits"] += 1
            return r
    return None


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else None

    def _control(self):
        if self.command == "POST" and self.path == "/__fault":
            rule = json.loads(self._body() or b"{}")
            if rule.get("action") == "cut":
                with LOCK:
                    socks = list(OPEN)
                for s in socks:
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return self._reply(200, {"cut": len(socks)})
            rule["hits"] = 0
            with LOCK:
                RULES.append(rule)
            return self._reply(200, {"rules": len(RULES)})
        if self.path == "/__hits":
            with LOCK:
                return self._reply(200, {"rules": RULES, "seen": SEEN})
        return self._reply(404, {"error": "unknown control path"})

    def _reply(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _status(self, code):
        reasons = {410: "Expired", 429: "TooManyRequests", 500: "InternalError",
                   503: "ServiceUnavailable"}
        status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                  "message": "injected by fault-proxy", "reason": reasons.get(code, "Unknown"),
                  "code": code}
        data = json.dumps(status).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        if code == 429:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _forward(self):
        if self.path.startswith("/__"):
            return self._control()
        body = self._body()
        rule = rule_for(self.command, self.path)
        if rule:
            action = rule.get("action")
            if action == "status":
                return self._status(int(rule.get("code", 500)))
            if action == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           b"\x01\x00\x00\x00\x00\x00\x00\x00")
                self.close_connection = True
                self.connection.close()
                return
            if action == "stall":
                time.sleep(float(rule.get("seconds", 30)))
                self.close_connection = True
                return
            if action == "slow":
                time.sleep(float(rule.get("seconds", 1)))
        up = http.client.HTTPSConnection(UP.hostname, UP.port, context=CTX, timeout=600)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in HOP and k.lower() != "host"
                   and (PASS_AUTH or k.lower() != "authorization")}
        up.request(self.command, self.path, body=body, headers=headers)
        resp = up.getresponse()
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with LOCK:
            OPEN.add(self.connection)
        try:
            while True:
                chunk = resp.read1(65536)
                if not chunk:
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True
        finally:
            with LOCK:
                OPEN.discard(self.connection)
            up.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


server = Server(("127.0.0.1", int(PORT)), Proxy)
print("ready", server.server_address[1], flush=True)
server.serve_forever()
