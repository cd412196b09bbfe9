#!/usr/bin/env python3
"""The admin console in a real browser (issue 17), on SQLite and on Postgres: roster is started
on a fresh database, so it creates the default tenant and prints its API key and the first
admin's set-password link; the tenant is seeded through the API (users, a group, a room whose
only owner is about to leave); then .ci/console/console.js drives Debian's Chromium through
playwright-core: set-up link, sign out, sign in, search, open a user, deactivate with the
hand-over preview, the timeline, the feed, sign out. Screenshots go to
target/console-shots/<backend>/.

Usage: .ci/console.py [--backend sqlite|postgres]... (default: both). Needs target/debug/roster
built, node and npm, chromium on PATH, and TEST_DATABASE_URL for Postgres.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from live import ROOT, Roster, call, log
from live import database_url as fresh_database

HERE = ROOT / ".ci" / "console"
OUT = ROOT / "target" / "console-shots"
NODE = ROOT / "target" / "console-node"


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("chromium is not installed")


def install():
    """playwright-core, as pinned in .ci/console/package-lock.json, under target/console-node."""
    lock = (HERE / "package-lock.json").read_text()
    if (NODE / "package-lock.json").exists() and (NODE / "package-lock.json").read_text() == lock \
            and (NODE / "node_modules" / "playwright-core").exists():
        return
    log("installing playwright-core (no browser download: Debian's chromium drives the test)")
    shutil.rmtree(NODE, ignore_errors=True)
    NODE.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(HERE / name, NODE / name)
    subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--silent"], cwd=NODE, check=True)


def printed(roster, pattern):
    """What roster printed at start that matches `pattern` (its key, its set-up link)."""
    for _ in range(50):
        found = re.search(pattern, roster.log_path.read_text())
        if found:
            return found.group(0)
        time.sleep(0.1)
    raise SystemExit(f"roster did not print {pattern}; see {roster.log_path}")


def seed(roster, key):
    """Users to list and search, a group, and a room whose only owner is the target."""
    auth = {"Authorization": f"Bearer {key}"}
    call(roster.base, "POST", "/v1/groups", {"key": "support", "name": "Support"}, auth)
    people = [
        ("grace.hopper", "Grace", "Hopper", "active"), ("alan.turing", "Alan", "Turing", "active"),
        ("katherine.johnson", "Katherine", "Johnson", "active"), ("edsger.dijkstra", "Edsger", "Dijkstra", "invited"),
        ("barbara.liskov", "Barbara", "Liskov", "active"), ("donald.knuth", "Donald", "Knuth", "invited"),
        ("frances.allen", "Frances", "Allen", "active"), ("ken.thompson", "Ken", "Thompson", "active"),
    ]
    ids = {}
    for handle, first, last, status in people:
        _, user = call(roster.base, "POST", "/v1/users", {
            "email": f"{handle}@example.com", "first_name": first, "last_name": last, "status": status,
            "groups": ["support"] if status == "active" else [],
        }, auth)
        ids[handle] = user["id"]
    _, room = call(roster.base, "POST", "/v1/rooms", {"name": "general", "type": "channel"}, auth)
    call(roster.base, "POST", f"/v1/rooms/{room['id']}/members",
         {"user_id": ids["grace.hopper"], "role": "owner"}, auth)
    call(roster.base, "POST", f"/v1/rooms/{room['id']}/members",
         {"user_id": ids["alan.turing"], "role": "member"}, auth)
    call(roster.base, "POST", f"/v1/users/{ids['ken.thompson']}/ban",
         {"reason": "spam", "reference_id": "T-7"}, auth)
    return "grace.hopper@example.com", "alan.turing@example.com"


def run(backend):
    shots = OUT / backend
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    roster = Roster(fresh_database(backend, "roster_console", OUT), OUT)
    try:
        key = printed(roster, r"rst_[A-Za-z0-9_-]+")
        link = printed(roster, r"http://\S+/console/setup\?token=rsc_[A-Za-z0-9_-]+")
        # roster prints its public URL; this run's roster listens elsewhere.
        link = re.sub(r"^http://[^/]+", roster.base, link)
        target, heir = seed(roster, key)
        log(f"the console in Chromium ({backend})")
        env = dict(os.environ, BASE=roster.base, SETUP_URL=link, TARGET_EMAIL=target, HEIR_EMAIL=heir,
                   SHOTS=str(shots), CHROMIUM=chromium(), NODE_PATH=str(NODE / "node_modules"))
        done = subprocess.run(["node", str(HERE / "console.js")], env=env)
        return done.returncode
    finally:
        roster.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    install()
    failures = [b for b in (args.backend or ["sqlite", "postgres"]) if run(b)]
    if failures:
        print(f"\nconsole browser test FAILED on {', '.join(failures)}")
        return 1
    print(f"\nconsole browser test passed; screenshots in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
