#!/usr/bin/env python3
"""Refreshes the example outputs in README.md from the real binary (release build).

Run `cargo build --release` first. Replaces the code blocks under the headings
"Text report (English)", "テキストレポート(日本語)" and "JSON (abridged)".
"""
import json
import pathlib
import subprocess

root = pathlib.Path(__file__).resolve().parent.parent
kaibo = root / "target/release/kaibo"
env = {"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"}


def run(*args):
    return subprocess.run([kaibo, *args], capture_output=True, text=True, env=env).stdout.rstrip()


en = run("analyze", "--sample")
ja = run("analyze", "--sample", "--lang", "ja")
full = json.loads(run("analyze", "--sample", "--format", "json"))
short = {k: full[k] for k in ["verdict", "score", "thresholds"]}
short["findings"] = [
    {k: f[k] for k in ["id", "category", "weight", "scored", "evidence"]}
    | {"explanation": {"en": f["explanation"]["en"][:60] + "…", "ja": f["explanation"]["ja"][:30] + "…"}}
    for f in full["findings"][:2]
]
short["message"] = full["message"]
short["observables"] = {"urls": full["observables"]["urls"]}

readme_path = root / "README.md"
readme = readme_path.read_text()
for title, body in [
    ("### Text report (English)", en),
    ("### テキストレポート(日本語)", ja),
    ("### JSON (abridged)", json.dumps(short, ensure_ascii=False, indent=2)),
]:
    i = readme.index(title)
    a = readme.index("```", i)
    start = readme.index("\n", a) + 1
    end = readme.index("```", start)
    readme = readme[:start] + body + "\n" + readme[end:]
readme_path.write_text(readme)
print("README examples refreshed")
