"""SCIM conformance: scim2-tester (through scim2-cli's `scim test`, every check it has) against a
live roster on SQLite and on Postgres, at a tenant's base URL with that tenant's API key.
Prints the suite's summary; fails when any check does not succeed."""

import argparse
import os
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
        done = subprocess.run(["scim", "--url", url, "test"], env=env)
        return done.returncode == 0
    finally:
        roster.stop()


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
