#!/usr/bin/python3
"""Regenerates docs/observations.md (the observation key vocabulary) from the key tables of
docs/protocols/*.md. With --check, exits 1 if the file is stale or if any observation key found in the
golden outputs (tests/golden/expected/*.json) is not documented."""
import glob
import json
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY = re.compile(r"`([a-z0-9_]+\.[A-Za-z0-9_.<>*\-]+)`")


def collect():
    table = []
    for path in sorted(glob.glob(os.path.join(REPO, "docs", "protocols", "*.md"))):
        name = os.path.basename(path)[:-3]
        keys = []
        for line in open(path):
            if line.startswith("|") and not line.startswith("|--") and not line.startswith("| key"):
                first_cell = line.split("|")[1]
                for k in KEY.findall(first_cell):
                    if k not in keys:
                        keys.append(k)
        table.append((name, keys))
    return table


def render(table):
    out = ["# Observation keys", "",
           "Every fact a parser extracts is kept on the device it is about as an observation",
           "`{key, value, first_seen, last_seen, count}` (docs/output.md). Keys are `<protocol>.<field>`.",
           "This page is generated from the key tables of docs/protocols/*.md by",
           "`scripts/gen_observations_doc.py`; each protocol page says what every key holds, which party of the",
           "conversation it is attached to, example values, limits, and what is deliberately not stored.", "",
           "Per device, at most `--max-observations` distinct (key, value) pairs and `--max-values-per-key` values",
           "per key are kept (docs/limits.md). Values are printable ASCII (other bytes as `\\xHH`), at most 256",
           "characters. No key ever holds patient data (docs/phi.md).", "",
           "| protocol | keys |", "|---|---|"]
    for name, keys in table:
        out.append(f"| [{name}](protocols/{name}.md) | " + ", ".join(f"`{k}`" for k in keys) + " |")
    return "\n".join(out) + "\n"


def documented(key, table):
    for _, keys in table:
        for k in keys:
            if k == key or ("<" in k and key.startswith(k.split("<")[0])) or ("*" in k and key.startswith(k.split("*")[0])):
                return True
    return False


def main():
    table = collect()
    text = render(table)
    path = os.path.join(REPO, "docs", "observations.md")
    if "--check" not in sys.argv:
        open(path, "w").write(text)
        return 0
    failed = 0
    if not os.path.exists(path) or open(path).read() != text:
        print("FAIL docs/observations.md is stale: run scripts/gen_observations_doc.py")
        failed += 1
    seen = set()
    for f in glob.glob(os.path.join(REPO, "tests", "golden", "expected", "*.json")):
        for a in json.load(open(f))["assets"]:
            seen.update(o["key"] for o in a["observations"])
    missing = sorted(k for k in seen if not documented(k, table))
    if missing:
        print("FAIL observation keys in golden outputs not documented in docs/protocols/: " + ", ".join(missing))
        failed += 1
    print(f"docs-observations: {2 - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
