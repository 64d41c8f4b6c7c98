#!/usr/bin/env python3
"""The table of findings of fingerprints/findings/*.json, as docs/findings.md shows it ("The findings").

    gen_findings_table.py            print the table (paste it into docs/findings.md)
    gen_findings_table.py --check    exit 1 unless docs/findings.md holds exactly this table (ctest docs_findings)
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def table():
    lines = ["| id | severity | fires on | references |", "|---|---|---|---|"]
    for path in sorted((ROOT / "fingerprints" / "findings").glob("*.json")):
        for f in json.loads(path.read_text())["findings"]:
            fires = f"aggregate `{f['aggregate']['kind']}`" if "aggregate" in f else "per device"
            lines.append(f"| `{f['id']}` | {f['severity']} | {f['title']} ({fires}) | {', '.join(f['references'])} |")
    return "\n".join(lines) + "\n"


def main():
    text = table()
    if "--check" in sys.argv[1:]:
        if text not in (ROOT / "docs" / "findings.md").read_text():
            print("docs/findings.md does not hold the table of the finding rules: run scripts/gen_findings_table.py "
                  "and paste its output under \"The findings\"", file=sys.stderr)
            return 1
        print(f"docs/findings.md lists the {len(text.splitlines()) - 2} findings of fingerprints/findings/")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
