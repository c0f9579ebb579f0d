#!/usr/bin/env python3
"""A forward HTTP proxy for the headless-Chromium wasm tests: every request Chromium sends is
forwarded on a fresh upstream connection with `Connection: close`.

Why it exists: wasm-bindgen-test-runner serves the test page with tiny_http, which handles
each connection on a thread of a pool that starts with 4 threads and grows only when no
thread is counted as waiting. When Chromium opens 5 or 6 connections at once (the page, its
scripts, the .wasm, the favicon) before the pool's threads have woken up — likely on a
loaded 2-core machine — the extra connections are queued behind 4 threads that each block
forever on an idle keep-alive connection, and the page never finishes loading (chromedriver:
"Timed out receiving message from renderer"). Behind this proxy, every upstream connection
carries one request and closes, so a pool thread is never held by an idle connection.

Usage: one-request-per-connection-proxy.py PORT_FILE
Listens on a free loopback port, writes it to PORT_FILE, and serves until killed.
Chromium is pointed at it with --proxy-server (see scripts/test-wasm.sh).
"""

import http.client
import http.server
import sys
import urllib.parse

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
}


class Forward(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        url = urllib.parse.urlsplit(self.path)
        if url.scheme != "http" or url.hostname not in ("127.0.0.1", "localhost"):
            self.send_error(403, "only http://127.0.0.1 is forwarded")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Connection"] = "close"
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        upstream = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=300)
        try:
            upstream.request(self.command, path, body=body, headers=headers)
            reply = upstream.getresponse()
            data = reply.read()
        except OSError as e:
            self.send_error(502, f"upstream: {e}")
            return
        finally:
            upstream.close()
        self.send_response(reply.status, reply.reason)
        for k, v in reply.getheaders():
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_HEAD = forward

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    server.daemon_threads = True
    with open(sys.argv[1], "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
