#!/usr/bin/env bash
# Side-by-side speed benchmark: offline Rspamd (2 workers) and kaibo on the same folder of mail,
# run alternately so that both see the same machine load.
#
#   scripts/bench_rspamd.sh [FOLDER] [RUNS]     (defaults: ../shared/corpus/phish/phishing_pot, 3)
#
# Needs Debian's rspamd package (`apt-get install rspamd`, 3.4 on Debian 12) and root (Rspamd
# drops to its own user). Not part of the test suite.
#
# "Offline" means what kaibo's offline core does without the network: every Rspamd module that
# asks DNS or a remote service is switched off (RBLs, SPF, DKIM, DMARC, ARC, fuzzy, ASN, PTR and
# HELO lookups, MX checks, phishing feeds, reputation, Redis-backed modules), and the resolver
# points at a closed port so that any lookup left fails at once instead of waiting for a timeout.
# Rspamd's own regular expressions, MIME, URL, header and composite rules all run.
set -euo pipefail
cd "$(dirname "$0")/.."
folder=$(realpath "${1:-../shared/corpus/phish/phishing_pot}")
runs=${2:-3}
command -v rspamd >/dev/null || { echo "rspamd is missing: apt-get install rspamd" >&2; exit 2; }
cargo build --release -q -p kaibo
kaibo=$PWD/target/release/kaibo

conf=$(mktemp -d /tmp/kaibo-rspamd.XXXXXX)
mkdir -p "$conf/local.d" "$conf/override.d" "$conf/run"
chown _rspamd "$conf/run" 2>/dev/null || true
for m in rbl spf dkim dmarc arc fuzzy_check asn ratelimit neural greylist replies url_redirector \
  reputation dkim_signing arc_signing history_redis clickhouse elastic metadata_exporter \
  external_services antivirus once_received hfilter mx_check emails phishing; do
  echo "enabled = false;" >"$conf/local.d/$m.conf"
done
cat >"$conf/local.d/options.inc" <<'EOF'
dns { nameserver = ["127.0.0.1:53"]; timeout = 0.2s; retransmits = 0; }
EOF
echo 'count = 2; bind_socket = "127.0.0.1:21333";' >"$conf/local.d/worker-normal.inc"
echo 'bind_socket = "127.0.0.1:21334";' >"$conf/local.d/worker-controller.inc"
echo 'bind_socket = "127.0.0.1:21332";' >"$conf/local.d/worker-proxy.inc"
echo 'type = "file"; filename = "'"$conf"'/rspamd.log"; level = "error";' >"$conf/local.d/logging.inc"
touch "$conf/rspamd.log" && chmod 666 "$conf/rspamd.log"

rspamd -u _rspamd -g _rspamd -p "$conf/run/rspamd.pid" --var "LOCAL_CONFDIR=$conf" --var "RUNDIR=$conf/run"
trap 'kill "$(cat "$conf/run/rspamd.pid")" 2>/dev/null || true; rm -rf "$conf"' EXIT
for _ in $(seq 60); do
  rspamc -h 127.0.0.1:21333 stat >/dev/null 2>&1 && break
  sleep 1
done

mails=$(find "$folder" -type f | wc -l)
mb=$(du -sb "$folder" | awk '{printf "%.1f", $1 / 1e6}')
echo "machine: $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg); $mails files, $mb MB in $folder"
# The first pass lets Rspamd finish compiling its Hyperscan databases.
rspamc -h 127.0.0.1:21333 -n 8 "$folder" >/dev/null 2>&1 || true
wall() { { /usr/bin/time -f %e "$@" 2>&1 >/dev/null || true; } | tail -1; }
for i in $(seq "$runs"); do
  r=$(wall rspamc -h 127.0.0.1:21333 -n 8 -j "$folder")
  k=$(wall "$kaibo" scan --format jsonl "$folder")
  awk -v i="$i" -v r="$r" -v k="$k" -v n="$mails" -v mb="$mb" 'BEGIN {
    printf "run %d: rspamd %.2f s (%.0f msgs/s, %.1f MB/s); kaibo %.2f s (%.0f msgs/s, %.1f MB/s); kaibo/rspamd %.1fx\n",
      i, r, n / r, mb / r, k, n / k, mb / k, r / k }'
done
