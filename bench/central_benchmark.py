#!/usr/bin/python3
"""The hospital group's central store at scale (issue 16; docs/performance.md, "Central store").

    bench/central_benchmark.py [--build DIR] [--sites 50] [--devices 5000]

Starts a PostgreSQL cluster of its own (tests/e2e/pg_cluster.py), makes one agent database per site from a
generated capture (bench/gen_devices.py --profile full, devices numbered apart per site, cached in
$WARDWATCH_BENCH_DIR or /var/tmp/wardwatch-bench), and measures:
  - the first push of each site (everything), median and slowest;
  - an incremental push per site after 1 % of its devices spoke again (their rows changed), median and slowest;
  - the central database's size;
  - `export --db postgresql://... --format json` and `report --format json` of the whole group, and of one site
    (--site), time and peak RSS.
Prints a Markdown table.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
import pg_cluster  # noqa: E402


def timed(argv, env):
    """(seconds, peak RSS MiB) of one run; stops the benchmark on failure."""
    with tempfile.NamedTemporaryFile() as t:
        proc = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name, *argv], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            sys.exit(f"central_benchmark: failed: {' '.join(argv)}\n{proc.stderr}")
        seconds, rss = open(t.name).read().split()[-2:]
        return float(seconds), int(rss) / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--sites", type=int, default=50)
    ap.add_argument("--devices", type=int, default=5000)
    args = ap.parse_args()
    ww = os.path.join(args.build, "wardwatch")
    cache = os.environ.get("WARDWATCH_BENCH_DIR", "/var/tmp/wardwatch-bench")
    os.makedirs(cache, exist_ok=True)
    work = tempfile.mkdtemp(prefix="ww-central-bench-")
    changed = max(1, args.devices // 100)
    with pg_cluster.PgCluster() as pg:
        env = pg.env()
        first, incremental = [], []
        for site in range(args.sites):
            base = site * args.devices
            full = os.path.join(cache, f"central-site{site:03d}-{args.devices}.pcap")
            again = os.path.join(cache, f"central-site{site:03d}-{changed}-again.pcap")
            for path, count in ((full, args.devices), (again, changed)):
                if not os.path.exists(path):
                    subprocess.run([sys.executable, os.path.join(HERE, "gen_devices.py"), path, "--devices", str(count),
                                    "--first", str(base), "--profile", "full"], check=True)
            db = os.path.join(work, f"site{site:03d}.db")
            subprocess.run([ww, "read", full, "--db", db, "--quiet"], check=True)
            push = [ww, "push", "--db", db, "--to", pg.url(), "--agent-id", f"agent-{site:03d}",
                    "--site", f"site-{site:03d}", "--quiet"]
            first.append(timed(push, env)[0])
            subprocess.run([ww, "read", again, "--db", db, "--quiet"], check=True)  # 1 % of devices speak again
            incremental.append(timed(push, env)[0])
        size_mib = int(pg.psql("SELECT pg_database_size('wardwatch')")) / (1 << 20)
        rows = pg.psql("SELECT (SELECT count(*) FROM macs) || ' macs, ' || (SELECT count(*) FROM observations) || "
                       "' observations, ' || (SELECT count(*) FROM conversations) || ' conversations'")
        export_all = timed([ww, "export", "--db", pg.url(), "--format", "json", "-o", os.path.join(work, "all.json")], env)
        report_all = timed([ww, "report", "--db", pg.url(), "--format", "json", "-o", os.path.join(work, "r.json")], env)
        export_site = timed([ww, "export", "--db", pg.url(), "--site", "site-000", "--format", "json",
                             "-o", os.path.join(work, "one.json")], env)
    subprocess.run(["rm", "-rf", work])
    print(f"{args.sites} sites x {args.devices} devices ({rows}); central database {size_mib:.0f} MiB\n")
    print("| step | median | slowest |")
    print("|---|---|---|")
    print(f"| first push of a site | {statistics.median(first):.2f} s | {max(first):.2f} s |")
    print(f"| incremental push ({changed} devices changed) | {statistics.median(incremental):.2f} s | "
          f"{max(incremental):.2f} s |")
    print("\n| whole group | time | peak RSS |")
    print("|---|---|---|")
    print(f"| export --format json (all sites) | {export_all[0]:.1f} s | {export_all[1]:.0f} MiB |")
    print(f"| report --format json (all sites) | {report_all[0]:.1f} s | {report_all[1]:.0f} MiB |")
    print(f"| export --site (one site) | {export_site[0]:.2f} s | {export_site[1]:.0f} MiB |")


if __name__ == "__main__":
    main()
