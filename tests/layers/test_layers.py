#!/usr/bin/python3
"""cmake/check_layers.cmake: the real tree follows the layers, and an include that crosses a layer the wrong
way fails the check with a message naming the file, the header and what the layer may include."""
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "cmake", "check_layers.cmake")


def check(root, stamp):
    return subprocess.run(["cmake", f"-DROOT={root}", f"-DSTAMP={stamp}", "-P", SCRIPT], capture_output=True, text=True)


def main():
    failed = 0
    with tempfile.TemporaryDirectory(prefix="ww-layers-") as tmp:
        stamp = os.path.join(tmp, "stamp")
        p = check(REPO, stamp)
        ok = p.returncode == 0 and os.path.exists(stamp)
        print(("PASS" if ok else "FAIL") + " the source tree follows the layers" + ("" if ok else ": " + p.stderr))
        failed += not ok
        # A copy of the layered directories with one wrong include in each of two layers.
        tree = os.path.join(tmp, "tree")
        for d in ("parsers", "model", "agent", "fingerprints", "reports"):
            shutil.copytree(os.path.join(REPO, d), os.path.join(tree, d))
        with open(os.path.join(tree, "reports", "csv_report.cpp"), "a") as f:
            f.write('\n#include "fingerprints/engine/rules.hpp"\n')
        with open(os.path.join(tree, "agent", "store", "rows.cpp"), "a") as f:
            f.write('\n#include "agent/cli/commands.hpp"\n')
        os.remove(stamp)
        p = check(tree, stamp)
        want = ['reports/csv_report.cpp (layer reports) includes "fingerprints/engine/rules.hpp"; it may include only '
                'wardwatch/, model/, reports/',
                'agent/store/rows.cpp (layer store) includes "agent/cli/commands.hpp"']
        ok = p.returncode != 0 and not os.path.exists(stamp) and all(w in p.stderr for w in want)
        print(("PASS" if ok else "FAIL") + " wrong includes fail the check, each named" + ("" if ok else ": " + p.stderr))
        failed += not ok
    print(f"layers: {2 - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
