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
rows = [f"| `{f['id']}` | {f['category']} | {f['weight']:+d} | {f['en']} |" for f in data["finding"]]
table = "| id | category | weight | explanation |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"
doc_path.write_text(head + "## Catalog\n\n" + table)
print(f"{len(rows)} findings written to {doc_path.relative_to(root)}")
