#!/usr/bin/env python3
"""Prints the table of findings of fingerprints/findings/*.json (docs/findings.md, "The findings")."""
import json, pathlib, sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
print("| id | severity | fires on | references |")
print("|---|---|---|---|")
for path in sorted((root / "fingerprints" / "findings").glob("*.json")):
    for f in json.loads(path.read_text())["findings"]:
        fires = f"aggregate `{f['aggregate']['kind']}`" if "aggregate" in f else "per device"
        print(f"| `{f['id']}` | {f['severity']} | {f['title']} ({fires}) | {', '.join(f['references'])} |")
