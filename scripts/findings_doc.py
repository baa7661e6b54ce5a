#!/usr/bin/env python3
"""Rewrites the catalog table of docs/findings.md from data/findings.toml.

Run after changing findings.toml; the test `docs_list_every_finding_with_its_weight` fails
until the page matches the data.
"""
import pathlib
import tomllib

root = pathlib.Path(__file__).resolve().parent.parent
data = tomllib.loads((root / "data/findings.toml").read_text())
doc_path = root / "docs/findings.md"
doc = doc_path.read_text()
head, _, _ = doc.partition("## Catalog")
fitted = tomllib.loads((root / "data/weights.toml").read_text()).get("weights", {})
rows = []
for f in data["finding"]:
    w = fitted.get(f["id"], f["weight"])
    how = "fitted" if f["id"] in fitted else "hand-set"
    rows.append(f"| `{f['id']}` | {f['category']} | {w:+d} | {f['weight']:+d} ({how}) | {f['en']} |")
table = (
    "Weight is what kaibo counts: fitted on labelled mail (data/weights.toml, docs/knowledge.md) where\n"
    "the corpus has enough of the finding, else the hand-set prior of data/findings.toml (shown next\n"
    "to it). `content.text_model` adds one weight per probability band reached (data/weights.toml).\n\n"
    "| id | category | weight | prior | explanation |\n|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
)
doc_path.write_text(head + "## Catalog\n\n" + table)
print(f"{len(rows)} findings written to {doc_path.relative_to(root)}")
