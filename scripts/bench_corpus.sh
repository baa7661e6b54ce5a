#!/usr/bin/env bash
# Corpus benchmark: scans a folder of mail with the release build, several times, and reports
# messages/s, MB/s and peak RSS of the best run.
#
#   scripts/bench_corpus.sh [PATH] [RUNS]      (defaults: ../shared/corpus, 5)
#
# Throughput comes from kaibo's own summary line (bytes of mail read and analysed, wall time from
# the first read to the last result); peak RSS from GNU time. The JSONL run is the configuration
# of the speed target (`kaibo scan --format jsonl … > /dev/null`).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus}
runs=${2:-5}
cargo build --release -q -p kaibo
bin=target/release/kaibo
if ! [ -x /usr/bin/time ]; then
  echo "GNU time (/usr/bin/time) is missing: apt-get install time" >&2
  exit 2
fi
echo "machine: $(nproc) cores, $(uname -m); load: $(cut -d' ' -f1-3 /proc/loadavg)"
best=""
for i in $(seq "$runs"); do
  # Text format prints the summary; its cost is the same table either way.
  # kaibo exits 1 or 2 when it flags mail or meets non-mail files: not a benchmark failure.
  summary=$( { /usr/bin/time -f "rss_kb=%M" "$bin" scan --progress never "$corpus" 2>/tmp/kaibo-bench-stderr.$$ || true; } | tail -1)
  rss=$(grep -o 'rss_kb=[0-9]*' /tmp/kaibo-bench-stderr.$$ | cut -d= -f2)
  echo "run $i: $summary; peak RSS $((rss / 1024)) MB"
done
for i in $(seq "$runs"); do
  { /usr/bin/time -f "%e s wall, %M KB peak RSS" "$bin" scan --format jsonl "$corpus" 2>&1 >/dev/null || true; } \
    | grep -v -e '^kaibo: error' -e '^Command exited' | sed "s/^/jsonl run $i: /"
done
rm -f /tmp/kaibo-bench-stderr.$$
