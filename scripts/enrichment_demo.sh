#!/usr/bin/env bash
# Runs `kaibo analyze --online` on the reference case against local stand-ins of the real
# services, started here on 127.0.0.1 with the test fixtures (tests/fixtures/enrich/):
# dnsmasq for DNS, a Python HTTP server for RDAP, a Python WHOIS server answering in the
# formats of whois.tcinet.ru and whois.jprs.jp, and the test .mmdb databases.
# This is how the examples in docs/enrichment.md were produced; it needs dnsmasq and python3.
#
#   scripts/enrichment_demo.sh [extra kaibo flags…]      e.g. --lang ja, --format json
source "$(dirname "$0")/demo_setup.sh"
fx=$PWD/tests/fixtures/enrich
dns_port=$(free_port); http_port=$(free_port); whois_port=$(free_port)

dnsmasq --no-daemon --conf-file=/dev/null --pid-file= --no-resolv --no-hosts --bind-interfaces \
  --listen-address=127.0.0.1 --port="$dns_port" --local=/#/ \
  --address=/mail-sync.aorz.ru/31.31.198.183 --mx-host=biglobe.ne.jp,mx.biglobe.ne.jp,10 \
  "--txt-record=biglobe.ne.jp,v=spf1 include:spf.biglobe.ne.jp ~all" \
  "--txt-record=_dmarc.biglobe.ne.jp,v=DMARC1; p=reject; rua=mailto:dmarc-rua@biglobe.ne.jp" 2>/dev/null &

mkdir -p "$work/www/rdap/ip"
cp "$fx/rdap_ip_185.220.101.47.json" "$work/www/rdap/ip/185.220.101.47"
(cd "$work/www" && python3 -m http.server "$http_port" --bind 127.0.0.1 >/dev/null 2>&1) &

python3 - "$whois_port" "$fx" <<'PY' &
import socket, sys, pathlib
port, fx = int(sys.argv[1]), pathlib.Path(sys.argv[2])
answers = {"aorz.ru": (fx / "whois_tcinet_aorz.ru.txt").read_bytes(),
           "biglobe.ne.jp/e": (fx / "whois_jprs_biglobe.ne.jp.txt").read_bytes()}
srv = socket.create_server(("127.0.0.1", port))
while True:
    c, _ = srv.accept()
    q = c.makefile("rb").readline().decode().strip()
    c.sendall(answers.get(q, b"No entries found.\r\n"))
    c.close()
PY

cat > "$work/kaibo.toml" <<TOML
[dns]
resolvers = ["127.0.0.1:$dns_port"]
[rdap]
ip_server = "http://127.0.0.1:$http_port/rdap/"
[whois.servers]
ru = "127.0.0.1:$whois_port"
jp = "127.0.0.1:$whois_port"
[geo]
city = "$fx/city.mmdb"
asn = "$fx/asn.mmdb"
[[feeds.sources]]
name = "openphish"
format = "openphish"
file = "$fx/openphish.txt"
TOML
sleep 0.5
target/release/kaibo analyze --sample --online --no-cache --config "$work/kaibo.toml" --color never "$@" || true
