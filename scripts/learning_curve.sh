#!/usr/bin/env bash
# How much mail `kaibo learn` needs: trains a text model on N phishing and N legitimate mails
# drawn at random (a fixed seed) from a labelled corpus, then measures kaibo with that model on
# every mail it was not trained on (`kaibo eval --model`, upstream verdicts ignored).
#
#   scripts/learning_curve.sh [CORPUS] [N...]    (defaults: ../shared/corpus, 50 100 200 400 800)
#
# Not part of the test suite; the figures are in docs/knowledge.md.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=$(realpath "${1:-../shared/corpus}")
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(50 100 200 400 800)
cargo build --release -q -p kaibo
kaibo=$PWD/target/release/kaibo
work=$(mktemp -d /tmp/kaibo-curve.XXXXXX)
trap 'rm -rf "$work"' EXIT
# A fixed stream of random bytes, so the same corpus gives the same draws.
seeded() { openssl enc -aes-256-ctr -pass pass:kaibo -nosalt </dev/zero 2>/dev/null; }
tail -n +2 "$corpus/labels.tsv" | awk -F'\t' '$2 == "phish"' | shuf --random-source=<(seeded) >"$work/phish"
tail -n +2 "$corpus/labels.tsv" | awk -F'\t' '$2 == "ham"' | shuf --random-source=<(seeded) >"$work/ham"
printf '%6s  %-28s %-28s\n' "N" "held-out phish flagged" "held-out ham flagged"
for n in "${sizes[@]}"; do
  rm -rf "$work/train" && mkdir -p "$work/train/phish" "$work/train/ham"
  for label in phish ham; do
    head -n "$n" "$work/$label" | cut -f1 | while read -r path; do
      ln -s "$corpus/$path" "$work/train/$label/$(echo "$path" | tr / _)"
    done
  done
  "$kaibo" learn --phish "$work/train/phish" --ham "$work/train/ham" -o "$work/model.kbtm" >/dev/null 2>&1
  { head -n 1 "$corpus/labels.tsv"; tail -n +"$((n + 1))" "$work/phish"; tail -n +"$((n + 1))" "$work/ham"; } >"$work/rest.tsv"
  "$kaibo" eval --ignore-upstream-verdicts --format json --model "$work/model.kbtm" --labels "$work/rest.tsv" "$corpus" >"$work/eval.json"
  python3 - "$n" "$work/eval.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[2]))
p, h = r["phish"], r["ham"]
print(f"{sys.argv[1]:>6}  {p['flagged']:>5} / {p['total']:<5} {100 * r['detection_rate']:6.2f}%        "
      f"{h['flagged']:>5} / {h['total']:<5} {100 * r['false_positive_rate']:6.2f}%")
EOF
done
