#!/usr/bin/python3
"""Measured accuracy of the fingerprint engine against hand-labelled devices (ground_truth.json).

For each labelled device the real `wardwatch read` runs on its capture; per attribute the script reports
coverage (labelled devices that got a value) and precision (values that equal the label), and fails
under the thresholds documented in docs/fingerprints.md ("Measured accuracy"):
  - no wrong vendor and no wrong category on a labelled device (precision 1.0),
  - every labelled medical device classified into a medical category, every labelled crown jewel found
    with the right kind (recall 1.0), no crown jewel claimed where the label says none,
  - category coverage >= 0.8,
  - per category (the labelled value): precision 1.0 for what was claimed, and coverage >= 0.5 for every
    category with at least 3 labelled devices (a table per category is printed).
Captures under ../shared are skipped (with a message) where ../shared is absent.
Prints `fingerprint-accuracy: N passed, N failed` last; exit 1 on failure, 77 if nothing could run."""
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "pcaps")
BINARY = os.environ.get("WARDWATCH_BIN", os.path.join(REPO, "build", "wardwatch"))
# "medical": true in the ground truth means the clinical domain: a medical device, or a clinical system or
# workstation (PACS, EHR, RIS, interface engine, viewer) — what a hospital must inventory as clinical.
MEDICAL = {"medical-imaging", "patient-monitoring", "infusion", "laboratory", "clinical-workstation", "clinical-system"}
# Per labelled category: what was claimed must be right; a category with enough labelled devices must
# mostly be found.
PER_CATEGORY_PRECISION, PER_CATEGORY_COVERAGE, PER_CATEGORY_MIN_LABELLED = 1.0, 0.5, 3
THRESHOLDS = {"vendor.precision": 1.0, "category.precision": 1.0, "category.coverage": 0.8,
              "medical.recall": 1.0, "crown_jewel.recall": 1.0, "crown_jewel.precision": 1.0}


def norm(text):
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def capture_path(spec):
    return os.path.join(SHARED, spec[len("shared:"):]) if spec.startswith("shared:") else os.path.join(REPO, spec)


def main():
    with open(os.path.join(HERE, "ground_truth.json")) as f:
        devices = json.load(f)["devices"]
    cache, skipped = {}, set()
    counts = defaultdict(lambda: defaultdict(int))
    per_category = defaultdict(lambda: defaultdict(int))  # labelled category -> labelled/given/correct
    problems = []
    for d in devices:
        path = capture_path(d["capture"])
        if not os.path.exists(path):
            skipped.add(d["capture"])
            continue
        if path not in cache:
            p = subprocess.run([BINARY, "read", path, "--json", "-", "--quiet"], capture_output=True, text=True, timeout=300)
            if p.returncode != 0:
                problems.append(f"{d['capture']}: wardwatch exited {p.returncode}: {p.stderr.strip()}")
                cache[path] = {}
                continue
            cache[path] = {a["id"]: a for a in json.loads(p.stdout)["assets"]}
        asset = cache[path].get(d["asset"])
        where = f"{d['capture']} {d['asset']}"
        if asset is None:
            problems.append(f"{where}: not in the inventory")
            continue
        c, exp = asset["classification"], d["expected"]
        for attr in ("category", "vendor", "device_type", "modality", "os"):
            if attr not in exp or exp[attr] is None:
                continue
            got = c.get(attr)
            if attr == "category" and got == "unknown":
                got = None
            counts[attr]["labelled"] += 1
            if attr == "category":
                per_category[exp[attr]]["labelled"] += 1
            if got is None:
                continue
            counts[attr]["given"] += 1
            if attr == "category":
                per_category[exp[attr]]["given"] += 1
                per_category[got]["claimed"] += 1
            if norm(got) == norm(exp[attr]):
                counts[attr]["correct"] += 1
                if attr == "category":
                    per_category[exp[attr]]["correct"] += 1
            else:
                problems.append(f"{where}: {attr} is '{got}', labelled '{exp[attr]}' ({d['reason']})")
        if "medical" in exp:
            counts["medical"]["labelled"] += 1 if exp["medical"] else 0
            is_medical = c["category"] in MEDICAL
            if exp["medical"] and is_medical:
                counts["medical"]["correct"] += 1
            elif exp["medical"] != is_medical:
                problems.append(f"{where}: medical={is_medical}, labelled {exp['medical']} ({d['reason']})")
                if not exp["medical"]:
                    counts["medical"]["false_positive"] += 1
        if "crown_jewel" in exp:
            got = asset["crown_jewel"]["kind"] if asset["crown_jewel"] else None
            if exp["crown_jewel"]:
                counts["crown_jewel"]["labelled"] += 1
            if got:
                counts["crown_jewel"]["given"] += 1
            if got == exp["crown_jewel"]:
                if got:
                    counts["crown_jewel"]["correct"] += 1
            else:
                problems.append(f"{where}: crown jewel {got}, labelled {exp['crown_jewel']} ({d['reason']})")
    for s in sorted(skipped):
        print(f"SKIP {s}: capture not found (../shared is read in place and absent here)")
    metrics = {}
    print(f"{'attribute':12} {'labelled':>8} {'given':>6} {'correct':>7} {'coverage':>9} {'precision':>9}")
    for attr, n in sorted(counts.items()):
        labelled, given, correct = n["labelled"], n["given"], n["correct"]
        if attr == "medical":
            metrics["medical.recall"] = correct / labelled if labelled else 1.0
            print(f"{attr:12} {labelled:8} {'':>6} {correct:7} {'':>9} {'':>9}  recall {metrics['medical.recall']:.2f}, "
                  f"false positives {n['false_positive']}")
            if n["false_positive"]:
                metrics["medical.recall"] = min(metrics["medical.recall"], 0.0)
            continue
        coverage = given / labelled if labelled else 1.0
        precision = correct / given if given else 1.0
        metrics[f"{attr}.coverage"] = coverage
        metrics[f"{attr}.precision"] = precision
        if attr == "crown_jewel":
            metrics["crown_jewel.recall"] = correct / labelled if labelled else 1.0
        print(f"{attr:12} {labelled:8} {given:6} {correct:7} {coverage:9.2f} {precision:9.2f}")
    print()
    print(f"{'category':22} {'labelled':>8} {'given':>6} {'correct':>7} {'claimed':>7} {'coverage':>9} {'precision':>9}")
    for cat, n in sorted(per_category.items()):
        coverage = n["given"] / n["labelled"] if n["labelled"] else 1.0
        precision = n["correct"] / n["claimed"] if n["claimed"] else 1.0
        print(f"{cat:22} {n['labelled']:8} {n['given']:6} {n['correct']:7} {n['claimed']:7} {coverage:9.2f} {precision:9.2f}")
        metrics[f"category[{cat}].precision"] = precision
        if n["labelled"] >= PER_CATEGORY_MIN_LABELLED:
            metrics[f"category[{cat}].coverage"] = coverage
    for p in problems:
        print("  " + p)
    passed = failed = 0
    thresholds = dict(THRESHOLDS)
    for name in metrics:
        if name.startswith("category["):
            thresholds[name] = PER_CATEGORY_PRECISION if name.endswith(".precision") else PER_CATEGORY_COVERAGE
    for name, minimum in thresholds.items():
        value = metrics.get(name)
        if value is None:
            continue
        ok = value >= minimum - 1e-9
        print(f"{'PASS' if ok else 'FAIL'} {name} = {value:.2f} (threshold {minimum:.2f})")
        passed, failed = passed + ok, failed + (not ok)
    if not cache:
        print("SKIP: no labelled capture available")
        return 77
    if any("not in the inventory" in p or "exited" in p for p in problems):
        failed += 1
        print("FAIL a labelled device is missing from the inventory")
    print(f"fingerprint-accuracy: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
