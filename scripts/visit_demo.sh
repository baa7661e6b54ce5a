#!/usr/bin/env bash
# Runs the landing-page visit (`--visit`, `--render`) against a local stand-in of a phishing
# site, started here on 127.0.0.1: dnsmasq resolves mail-sync.kaibo-demo.test to 127.0.0.1, and
# a Python HTTP server serves a redirect chain (302 → meta refresh → JavaScript) ending on the
# imitation "Active! mail" kit of tests/fixtures/visit/. The test-only allow list admits that
# server's port. This is how the examples in docs/visit.md were produced; it needs dnsmasq,
# python3 and, for --render, chromium.
#
#   scripts/visit_demo.sh [extra kaibo flags…]      e.g. --lang ja, --format json, --render --out-dir DIR
source "$(dirname "$0")/demo_setup.sh"
fx=$PWD/tests/fixtures/visit
dns_port=$(free_port); http_port=$(free_port)

dnsmasq --no-daemon --conf-file=/dev/null --pid-file= --no-resolv --no-hosts --bind-interfaces \
  --listen-address=127.0.0.1 --port="$dns_port" --local=/#/ \
  --address=/mail-sync.kaibo-demo.test/127.0.0.1 2>/dev/null &

python3 - "$http_port" "$fx" <<'PY' &
import http.server, pathlib, sys
port, fx = int(sys.argv[1]), pathlib.Path(sys.argv[2])
pages = {
    "/r1": (302, {"Location": "/r2"}, b""),
    "/r2": (200, {}, b'<meta http-equiv="refresh" content="0;url=/r3"><p>Loading...</p>'),
    "/r3": (200, {}, b'<script>window.location.href = "/am_bin/amlogin";</script>'),
    "/am_bin/amlogin": (200, {}, (fx / "active_mail.html").read_bytes()),
}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status, headers, body = pages.get(self.path.split("?")[0], (404, {}, b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY

cat > "$work/kaibo.toml" <<TOML
[dns]
resolvers = ["127.0.0.1:$dns_port"]
[visit]
# Test-only: lets kaibo reach the stand-in server on loopback. Never set this in production.
allow_addresses = ["127.0.0.1:$http_port"]
TOML
printf '%s\r\n' \
  'From: "postmaster@example.co.jp" <axh33983@biglobe.ne.jp>' \
  'To: taro@example.co.jp' \
  'Subject: =?UTF-8?B?5pyq6YWN5L+h44Oh44OD44K744O844K4ICgyKQ==?=' \
  'Date: Tue, 14 Nov 2023 09:12:00 +0900' \
  'MIME-Version: 1.0' \
  'Content-Type: text/html; charset=utf-8' \
  '' \
  '<p>同期エラーのため、2 件のメッセージが配信されませんでした。</p>' \
  "<p><a href=\"http://mail-sync.kaibo-demo.test:$http_port/r1?u=taro\">メッセージを受け取る &gt;&gt;</a></p>" \
  '<p>©2023、メールセンター</p>' > "$work/lure.eml"
sleep 0.5
target/release/kaibo analyze "$work/lure.eml" --visit --config "$work/kaibo.toml" --color never "$@" \
  | sed "s/:$http_port/:PORT/g" || true
