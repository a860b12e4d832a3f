#!/usr/bin/env python3
"""Loopback HTTPS receiver for Encompass webhook tests and benchmarks (Python stdlib only).

Checks X-Encompass-Signature (sha256=<hex HMAC-SHA256 of the body>) with the secret in
$ENCOMPASS_WEBHOOK_SECRET and records each request as OUT/<n>.json, with a line in OUT/log.jsonl:
{"n", "path", "headers", "body", "signature_ok", "status"}.
Answers 200 to a correctly signed POST, 401 to a badly signed one, or what --status / --stall say
for a path; on a --cut path it answers 200 and breaks off before its body ends. Prints "READY <port>" once listening; stops on SIGTERM or SIGINT.
"""
import argparse
import hashlib
import hmac
import http.server
import json
import os
import signal
import ssl
import sys
import threading
import time


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, tls, out, secret, statuses, stalls, cuts=(), refusals=None):
        super().__init__(address, Handler)
        self.cuts = set(cuts)
        self.tls = tls
        self.out = out
        self.secret = secret
        self.statuses = statuses
        self.refusals = refusals or {}
        self.stalls = stalls
        self.count = 0
        self.lock = threading.Lock()
        os.makedirs(out, exist_ok=True)

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the request's own thread, so a slow or failing
        # client cannot hold up the accept loop.
        try:
            request = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)

    def record(self, entry):
        with self.lock:
            self.count += 1
            entry["n"] = self.count
            with open(os.path.join(self.out, f"{self.count}.json"), "w", encoding="utf-8") as f:
                json.dump(entry, f)
            with open(os.path.join(self.out, "log.jsonl"), "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def do_POST(self):
        server = self.server
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        expected = "sha256=" + hmac.new(server.secret, body, hashlib.sha256).hexdigest()
        signature_ok = hmac.compare_digest(self.headers.get("X-Encompass-Signature", ""), expected)
        status = server.statuses.get(self.path, 200 if signature_ok else server.refusals.get(self.path, 401))
        stall = server.stalls.get(self.path, 0)
        server.record({
            "path": self.path,
            "headers": {k: v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "signature_ok": signature_ok,
            "status": status,
            "stalled_seconds": stall,
        })
        if stall:
            time.sleep(stall)
        reply = json.dumps({"status": status}).encode()
        if self.path in server.cuts:
            # The status line says the alert was taken; the body promised is never finished.
            self.close_connection = True
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply) + 100))
                self.end_headers()
                self.wfile.write(reply)
                self.wfile.flush()
            except (OSError, ssl.SSLError):
                pass
            return
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
        except (OSError, ssl.SSLError):
            pass  # the client gave up on a stalled path


def pairs(values, convert):
    result = {}
    for value in values:
        path, _, setting = value.rpartition("=")
        result[path] = convert(setting)
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--out", required=True, help="folder for received requests")
    p.add_argument("--status", action="append", default=[], metavar="PATH=CODE",
                   help="answer CODE to POSTs on PATH (e.g. /school-500=500)")
    p.add_argument("--stall", action="append", default=[], metavar="PATH=SECONDS",
                   help="hold the answer to POSTs on PATH for SECONDS")
    p.add_argument("--cut", action="append", default=[], metavar="PATH",
                   help="on POSTs to PATH answer the status, then close before the body ends")
    p.add_argument("--refuse-with", action="append", default=[], metavar="PATH=CODE",
                   help="answer CODE, not 401, to a POST on PATH whose signature is wrong (receivers differ)")
    args = p.parse_args()
    # A parent may start us with signals blocked (threads of a test runner often block them);
    # SIGTERM must work, or stopping the server would hang.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])

    secret = os.environ.get("ENCOMPASS_WEBHOOK_SECRET", "").encode()
    if not secret:
        p.error("ENCOMPASS_WEBHOOK_SECRET is not set")
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(args.cert, args.key)
    server = Receiver((args.host, args.port), tls, args.out, secret,
                      pairs(args.status, int), pairs(args.stall, float), args.cut, pairs(args.refuse_with, int))

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    sys.exit(main())
