#!/usr/bin/env bash
# Side-by-side speed benchmark: offline Rspamd (2 workers) and kaibo on the same folder of mail,
# run alternately so that both see the same machine load. Reports wall time (the issue's measure)
# and CPU time (Rspamd's processes plus the rspamc client; kaibo's user + system time), which
# varies much less with the load of this shared machine.
#
#   scripts/bench_rspamd.sh [FOLDER] [RUNS]     (defaults: ../shared/corpus/phish/phishing_pot, 3)
#   scripts/bench_rspamd.sh --eval CORPUS       (verdicts instead of speed: kaibo eval of a
#                                                labelled corpus with Rspamd's share beside it)
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
eval_mode=false
if [ "${1:-}" = "--eval" ]; then
  eval_mode=true
  shift
fi
folder=$(realpath "${1:-../shared/corpus/phish/phishing_pot}")
runs=${2:-3}
# Requests rspamc keeps in flight, enough to keep both workers busy.
parallel=${RSPAMC_PARALLEL:-32}
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

if $eval_mode; then
  # Rspamd's verdict on every file, saved where kaibo eval reads it.
  out=target/rspamd-eval.json
  rspamc -h 127.0.0.1:21333 -n "$parallel" -j "$folder" >"$out" 2>/dev/null || true
  echo "rspamd verdicts: $out ($(grep -c '"action"' "$out") mails)"
  "$kaibo" eval --ignore-upstream-verdicts --show 0 --rspamd "$out" "$folder"
  exit 0
fi
mails=$(find "$folder" -type f | wc -l)
mb=$(du -sb "$folder" | awk '{printf "%.1f", $1 / 1e6}')
echo "machine: $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg); $mails files, $mb MB in $folder"
# The first pass lets Rspamd finish compiling its Hyperscan databases.
rspamc -h 127.0.0.1:21333 -n 8 "$folder" >/dev/null 2>&1 || true
wall() { { /usr/bin/time -f "%e %U %S" "$@" 2>&1 >/dev/null || true; } | tail -1; }
# CPU seconds used so far by this Rspamd's processes (workers, main, helpers).
rspamd_cpu() {
  local main ticks=0
  main=$(cat "$conf/run/rspamd.pid")
  for p in $main $(pgrep -P "$main"); do
    ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$ticks $(getconf CLK_TCK)" | awk '{printf "%.2f", $1 / $2}'
}
for i in $(seq "$runs"); do
  before=$(rspamd_cpu)
  read -r r_wall r_user r_sys <<<"$(wall rspamc -h 127.0.0.1:21333 -n "$parallel" -j "$folder")"
  r_cpu=$(awk -v a="$before" -v b="$(rspamd_cpu)" -v u="$r_user" -v s="$r_sys" 'BEGIN {print b - a + u + s}')
  read -r k_wall k_user k_sys <<<"$(wall "$kaibo" scan --format jsonl "$folder")"
  awk -v i="$i" -v r="$r_wall" -v rc="$r_cpu" -v k="$k_wall" -v kc="$(awk -v u="$k_user" -v s="$k_sys" 'BEGIN {print u + s}')" \
    -v n="$mails" -v mb="$mb" 'BEGIN {
    printf "run %d: rspamd %.2f s wall, %.2f s CPU (%.0f msgs/s, %.1f MB/s); kaibo %.2f s wall, %.2f s CPU (%.0f msgs/s, %.1f MB/s); wall %.1fx, CPU %.1fx\n",
      i, r, rc, n / r, mb / r, k, kc, n / k, mb / k, r / k, rc / kc }'
done
