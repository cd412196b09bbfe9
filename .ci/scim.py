"""SCIM conformance: scim2-tester (through scim2-cli's `scim test`, every check it has) against a
live roster on SQLite and on Postgres, at a tenant's base URL with that tenant's API key.
Prints the suite's output and a summary; fails when any check does not succeed."""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live import ROOT, Roster, call, database_url, log  # noqa: E402

OUT = ROOT / "target" / "ci-scim"


def run(backend):
    roster = Roster(database_url(backend, "roster_scim", OUT), OUT)
    try:
        op = {"Authorization": f"Bearer {roster.operator}"}
        _, tenant = call(roster.base, "POST", "/v1/tenants", {"slug": "scim", "name": "SCIM"}, op)
        url = f"{roster.base}/t/scim/scim/v2"
        log(f"scim2-tester against {url} ({backend})")
        # The key goes through the environment, not the command line.
        env = dict(os.environ, SCIM_CLI_HEADERS=f"Authorization: Bearer {tenant['api_key']}")
        done = subprocess.run(
            ["scim", "--url", url, "test"], env=env, capture_output=True, text=True
        )
        print(done.stdout, done.stderr, sep="", flush=True)
        return summarize(backend, done.stdout)
    finally:
        roster.stop()


def summarize(backend, output):
    """Counts the checks by outcome from the suite's output; True when none failed."""
    results = []
    for line in output.splitlines():
        m = re.match(r"^(\w+) (\S+)$", line.strip())
        if m and m.group(1).isupper():
            results.append([m.group(1), m.group(2), ""])
        elif results and line.startswith("  ") and not results[-1][2]:
            results[-1][2] = line.strip()
    passed = [r for r in results if r[0] == "SUCCESS"]
    failed = [r for r in results if r[0] != "SUCCESS"]
    print(f"\nscim2-tester on {backend}: {len(results)} checks, {len(passed)} succeeded, "
          f"{len(failed)} did not")
    for status, title, reason in failed:
        print(f"  FAILED {title}: {reason}")
    return bool(results) and not failed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    failed = [b for b in args.backend or ["sqlite", "postgres"] if not run(b)]
    if failed:
        print(f"\nSCIM conformance FAILED on {', '.join(failed)}")
        return 1
    print("\nSCIM conformance passed on every backend")
    return 0


if __name__ == "__main__":
    sys.exit(main())
