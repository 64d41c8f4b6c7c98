#!/usr/bin/python3
"""Golden tests: each capture in cases.txt goes through the real `wardwatch read`; its JSON must validate
against docs/schema/inventory.schema.json and equal tests/golden/expected/NAME.json exactly, after masking
what does not depend on the capture (generator version, the capture's path on this machine).

    run_golden.py --binary build/wardwatch [--bless] [NAME...]

--bless rewrites the expected files from the current output (review the diff before committing).
Cases whose capture lives in ../shared/pcaps are skipped, with a message, where ../shared is absent.
Exit: 0 all passed (or skipped), 1 a case failed, 77 every case was skipped.
"""
import argparse
import difflib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "pcaps")


def load_cases():
    cases = []
    with open(os.path.join(HERE, "cases.txt")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                name, capture = line.split()
                if capture.startswith("shared:"):
                    capture = os.path.join(SHARED, capture[len("shared:"):])
                else:
                    capture = os.path.join(REPO, capture)
                cases.append((name, capture))
    return cases


def normalise(doc):
    doc["generator"]["version"] = "<version>"
    doc["generator"]["rules"]["version"] = "<rules version>"  # changes with every rule edit, not with the capture
    doc["generator"]["dcmtk"] = "<dcmtk>"
    for s in doc["sources"]:
        s["path"] = "<path>/" + s["name"]
    return doc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--bless", action="store_true")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    import jsonschema  # Debian: python3-jsonschema
    with open(os.path.join(REPO, "docs", "schema", "inventory.schema.json")) as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    passed = failed = skipped = 0
    for name, capture in load_cases():
        if args.names and name not in args.names:
            continue
        if not os.path.exists(capture):
            print(f"SKIP {name}: capture not found: {capture} (../shared is read in place and absent here)")
            skipped += 1
            continue
        proc = subprocess.run([args.binary, "read", capture, "--json", "-", "--quiet"], capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"FAIL {name}: exit {proc.returncode}: {proc.stderr.strip()}")
            failed += 1
            continue
        doc = json.loads(proc.stdout)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        if errors:
            print(f"FAIL {name}: output does not match the JSON schema:")
            for e in errors[:5]:
                print(f"    at /{'/'.join(map(str, e.path))}: {e.message[:200]}")
            failed += 1
            continue
        actual = json.dumps(normalise(doc), indent=2, sort_keys=False) + "\n"
        expected_path = os.path.join(HERE, "expected", name + ".json")
        if args.bless:
            with open(expected_path, "w") as f:
                f.write(actual)
            print(f"BLESS {name}")
            passed += 1
            continue
        if not os.path.exists(expected_path):
            print(f"FAIL {name}: no expected file {expected_path} (run with --bless)")
            failed += 1
            continue
        with open(expected_path) as f:
            expected = f.read()
        if expected != actual:
            diff = difflib.unified_diff(expected.splitlines(), actual.splitlines(), "expected", "actual", lineterm="", n=2)
            print(f"FAIL {name}: output differs from {os.path.relpath(expected_path, REPO)}:")
            for i, line in enumerate(diff):
                if i >= 60:
                    print("    ...")
                    break
                print("    " + line)
            failed += 1
            continue
        print(f"PASS {name}")
        passed += 1
    print(f"golden: {passed} passed, {failed} failed, {skipped} skipped")
    if failed:
        return 1
    return 77 if passed == 0 and skipped > 0 else 0


if __name__ == "__main__":
    sys.exit(main())
