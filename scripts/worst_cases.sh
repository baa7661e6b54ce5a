#!/usr/bin/env bash
# Measures kaibo on the worst-case mails of scripts/worst_cases.py (docs/limits.md): wall time,
# peak RSS and output size per mail and format. Usage: scripts/worst_cases.sh [DIR] [FORMATS]
set -euo pipefail
dir=${1:-/tmp/kaibo-worst}
formats=${2:-json}
kaibo=${KAIBO:-target/release/kaibo}
[ -d "$dir" ] || python3 "$(dirname "$0")/worst_cases.py" "$dir" >/dev/null
printf "%-26s %-5s %8s %9s %11s  %s\n" mail format seconds "RSS MB" "output B" exit
for f in "$dir"/*.eml; do
  for fmt in $formats; do
    out=$(mktemp)
    /usr/bin/time -o "$out.time" -f "%e %M %x" "$kaibo" analyze --format "$fmt" "$f" >"$out" 2>/dev/null || true
    read -r secs kb code < <(grep -v "exited" "$out.time" | tail -1)
    printf "%-26s %-5s %8s %9d %11d  %s\n" "$(basename "$f")" "$fmt" "$secs" $((kb / 1024)) "$(stat -c %s "$out")" "$code"
    rm -f "$out" "$out.time"
  done
done
