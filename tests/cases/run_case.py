#!/usr/bin/python3
"""Per-case capture tests, in the style of suricata-verify: each tests/cases/<case>/test.yaml names a capture
(one the project made, or shared:NAME from ../shared/pcaps), an optional BPF filter and extra `wardwatch read`
options, and states targeted assertions on the JSON inventory. A case may also keep small baselines, one per
aspect, in the style of Zeek's btest: the sorted "asset key=value" lines of the facts under one key prefix.
The format is described in tests/cases/README.md.

    run_case.py --binary build/wardwatch CASE_DIR... [--bless]

--bless rewrites the case's baselines from the current output (review the diff before committing); the
assertions in test.yaml are never rewritten. Exit: 0 passed, 1 failed, 77 skipped (the case reads ../shared,
which is absent; the reason is printed).
"""
import argparse
import json
import os
import re
import subprocess
import sys

import yaml  # Debian: python3-yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "pcaps")
KNOWN_KEYS = {"description", "capture", "filter", "args", "exit", "assets", "checks", "baselines", "stats",
              "output_excludes", "output_excludes_file"}
CHECK_KEYS = {"asset", "ip", "everywhere", "facts", "no_facts", "classification", "services", "absent", "fields",
              "id_matches", "conversations"}
CONVERSATION_KEYS = {"peer", "transport", "port", "role", "application", "packets", "bytes"}


class Case:
    def __init__(self, directory):
        self.dir = os.path.abspath(directory)
        self.name = os.path.basename(self.dir)
        with open(os.path.join(self.dir, "test.yaml")) as f:
            self.spec = yaml.safe_load(f) or {}
        unknown = set(self.spec) - KNOWN_KEYS
        if unknown:
            raise ValueError(f"unknown keys in test.yaml: {sorted(unknown)} (known: {sorted(KNOWN_KEYS)})")
        if "capture" not in self.spec:
            raise ValueError("test.yaml has no 'capture'")
        self.failures = []

    def capture_path(self):
        capture = self.spec["capture"]
        if capture.startswith("shared:"):
            return os.path.join(SHARED, capture[len("shared:"):])
        return os.path.join(REPO, capture)

    def run(self, binary):
        cmd = [binary, "read", self.capture_path(), "--json", "-", "--quiet", "--no-progress"]
        if self.spec.get("filter"):
            cmd += ["--filter", self.spec["filter"]]
        cmd += [str(a) for a in self.spec.get("args", [])]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=300)

    def fail(self, what):
        self.failures.append(what)


def values(asset, key):
    return [o["value"] for o in asset["observations"] if o["key"] == key]


def select(case, doc, check):
    """The assets a check is about: one by MAC (`asset`) or by address (`ip`), or all (`everywhere`)."""
    if check.get("everywhere"):
        return doc["assets"]
    if "asset" in check:
        want = str(check["asset"]).lower()
        found = [a for a in doc["assets"] if (a.get("mac") or "").lower() == want or a["id"] == want]
    elif "ip" in check:
        found = [a for a in doc["assets"] if str(check["ip"]) in a["ips"]]
    else:
        case.fail(f"check {check} names no asset, ip or everywhere")
        return []
    if check.get("absent"):
        if found:
            case.fail(f"{check.get('asset') or check.get('ip')}: present, expected absent")
        return []
    if not found:
        case.fail(f"{check.get('asset') or check.get('ip')}: no such asset in the inventory")
    return found


def check_facts(case, asset, facts):
    """key: value → that value is among the asset's; key: [values] → exactly these values (any order)."""
    for key, want in facts.items():
        have = values(asset, key)
        if isinstance(want, list):
            if sorted(have) != sorted(str(w) for w in want):
                case.fail(f"{asset['id']}: {key} = {sorted(have)}, expected exactly {sorted(map(str, want))}")
        elif str(want) not in have:
            case.fail(f"{asset['id']}: {key} = {have}, expected to include {want!r}")


def check_no_facts(case, asset, prefixes):
    for o in asset["observations"]:
        for p in prefixes:
            if o["key"].startswith(p):
                case.fail(f"{asset['id']}: unexpected fact {o['key']}={o['value']!r} (no '{p}*' expected)")


def check_classification(case, asset, want):
    got = asset["classification"]
    for attr, value in want.items():
        if attr not in got:
            case.fail(f"{asset['id']}: classification has no attribute {attr!r}")
        elif got[attr] != value:
            case.fail(f"{asset['id']}: classification.{attr} = {got[attr]!r}, expected {value!r}")


def check_services(case, asset, want):
    """services: {offered: ["tcp/443"], used: [...]}: each listed service is among the asset's."""
    for side, services in want.items():
        have = {f"{s['proto']}/{s['port']}" for s in asset["services"][side]}
        for s in services:
            if s not in have:
                case.fail(f"{asset['id']}: services.{side} {sorted(have)} lacks {s}")


def check_conversations(case, asset, want):
    """conversations: [{peer: 10.0.0.1, port: 104, role: client, application: dicom}]: each listed conversation
    is among the asset's, every field given equal (packets/bytes as {sent: N, received: N}); unknown fields fail."""
    for w in want:
        unknown = set(w) - CONVERSATION_KEYS
        if unknown:
            case.fail(f"unknown keys in a conversation: {sorted(unknown)} (known: {sorted(CONVERSATION_KEYS)})")
            continue
        if not any(all(c.get(k) == v for k, v in w.items()) for c in asset["conversations"]):
            have = [{k: c[k] for k in ("peer", "transport", "port", "role", "application")} for c in asset["conversations"]]
            case.fail(f"{asset['id']}: no conversation {w} among {have}")


def check_fields(case, asset, want):
    """fields: {mac: null, router: false, ips: [...]}: each top-level field of the asset equals the value exactly
    (lists in order); a field the asset does not have is a failure, so a typo cannot pass."""
    for field, value in want.items():
        if field not in asset:
            case.fail(f"{asset['id']}: the asset has no field {field!r}")
        elif asset[field] != value:
            case.fail(f"{asset['id']}: {field} = {asset[field]!r}, expected {value!r}")


def check_id(case, asset, pattern):
    """id_matches: REGEX: the whole asset id matches it (re.fullmatch)."""
    if not re.fullmatch(pattern, asset["id"]):
        case.fail(f"{asset['id']}: id does not match {pattern!r}")


def dotted(doc, path):
    for part in path.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return None
        doc = doc[part]
    return doc


def run_checks(case, doc, text):
    spec = case.spec
    if "assets" in spec and len(doc["assets"]) != spec["assets"]:
        case.fail(f"{len(doc['assets'])} assets, expected {spec['assets']}")
    for path, want in (spec.get("stats") or {}).items():
        got = dotted(doc["stats"], path)
        if got != want:
            case.fail(f"stats.{path} = {got!r}, expected {want!r}")
    for check in spec.get("checks", []):
        unknown = set(check) - CHECK_KEYS
        if unknown:
            case.fail(f"unknown keys in a check: {sorted(unknown)} (known: {sorted(CHECK_KEYS)})")
            continue
        if "id_matches" in check:
            try:
                re.compile(check["id_matches"])
            except (re.error, TypeError) as e:
                case.fail(f"bad id_matches {check['id_matches']!r}: {e}")
                continue
        for asset in select(case, doc, check):
            check_facts(case, asset, check.get("facts", {}))
            check_no_facts(case, asset, check.get("no_facts", []))
            check_classification(case, asset, check.get("classification", {}))
            check_services(case, asset, check.get("services", {}))
            check_fields(case, asset, check.get("fields", {}))
            check_conversations(case, asset, check.get("conversations", []))
            if "id_matches" in check:
                check_id(case, asset, check["id_matches"])
    excludes = list(spec.get("output_excludes", []))
    if spec.get("output_excludes_file"):
        with open(os.path.join(REPO, spec["output_excludes_file"])) as f:
            excludes += [line.strip() for line in f if line.strip() and not line.startswith("#")]
    for s in excludes:
        if s.lower() in text.lower():
            case.fail(f"the output contains {s!r}, which must never appear")


def baseline_lines(doc, prefix):
    lines = []
    for a in doc["assets"]:
        for o in a["observations"]:
            if o["key"].startswith(prefix):
                lines.append(f"{a['id']} {o['key']}={o['value']}")
    return "".join(line + "\n" for line in sorted(lines))


def run_baselines(case, doc, bless):
    for file_name, prefix in (case.spec.get("baselines") or {}).items():
        path = os.path.join(case.dir, file_name)
        actual = baseline_lines(doc, prefix)
        if bless:
            with open(path, "w") as f:
                f.write(actual)
            continue
        if not os.path.exists(path):
            case.fail(f"baseline {file_name} missing (run with --bless and review it)")
            continue
        with open(path) as f:
            expected = f.read()
        if actual != expected:
            exp, act = set(expected.splitlines()), set(actual.splitlines())
            diff = [f"-{x}" for x in sorted(exp - act)] + [f"+{x}" for x in sorted(act - exp)]
            case.fail(f"baseline {file_name} differs ('{prefix}*' facts):\n      " + "\n      ".join(diff[:20]))


def validator():
    import jsonschema  # Debian: python3-jsonschema
    with open(os.path.join(REPO, "docs", "schema", "inventory.schema.json")) as f:
        return jsonschema.Draft202012Validator(json.load(f))


def run_case(case, binary, bless, schema):
    capture = case.capture_path()
    if not os.path.exists(capture):
        print(f"SKIP {case.name}: capture not found: {capture} (../shared is read in place and absent here)")
        return 77
    proc = case.run(binary)
    want_exit = case.spec.get("exit", 0)
    if proc.returncode != want_exit:
        case.fail(f"exit {proc.returncode}, expected {want_exit}: {proc.stderr.strip()[:300]}")
    elif want_exit == 0:
        doc = json.loads(proc.stdout)
        for e in list(schema.iter_errors(doc))[:3]:
            case.fail(f"output does not match the JSON schema at /{'/'.join(map(str, e.path))}: {e.message[:160]}")
        run_checks(case, doc, proc.stdout + proc.stderr)
        run_baselines(case, doc, bless)
    if case.failures:
        print(f"FAIL {case.name}:")
        for f in case.failures:
            print("    " + f)
        return 1
    print(f"PASS {case.name}")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--bless", action="store_true")
    ap.add_argument("cases", nargs="+")
    args = ap.parse_args()
    schema = validator()
    results = []
    for directory in args.cases:
        try:
            case = Case(directory)
        except (OSError, ValueError, yaml.YAMLError) as e:
            print(f"FAIL {os.path.basename(os.path.abspath(directory))}: bad test.yaml: {e}")
            results.append(1)
            continue
        results.append(run_case(case, args.binary, args.bless, schema))
    if any(r == 1 for r in results):
        return 1
    return 77 if all(r == 77 for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
