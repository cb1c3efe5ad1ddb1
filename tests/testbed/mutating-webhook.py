#!/usr/bin/env python3
"""A mutating admission webhook for kdrift's tests, served over HTTPS on 127.0.0.1.

It sets the label `tier` of every object it is sent to "mutated" (which objects, the test's
MutatingWebhookConfiguration decides), the way real webhooks rewrite what people declare.

Usage: mutating-webhook.py CERT KEY PORTFILE   (writes the port it listens on to PORTFILE)
"""
import base64
import json
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Mutate(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        review = json.loads(self.rfile.read(length))
        request = review["request"]
        labels = ((request.get("object") or {}).get("metadata") or {}).get("labels")
        if labels is None:
            ops = [{"op": "add", "path": "/metadata/labels", "value": {"tier": "mutated"}}]
        else:
            ops = [{"op": "add", "path": "/metadata/labels/tier", "value": "mutated"}]
        body = json.dumps({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "response": {
                "uid": request["uid"],
                "allowed": True,
                "patchType": "JSONPatch",
                "patch": base64.b64encode(json.dumps(ops).encode()).decode(),
            },
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    cert, key, portfile = sys.argv[1:4]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Mutate)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    server.serve_forever()


if __name__ == "__main__":
    main()
