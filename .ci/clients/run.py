#!/usr/bin/env python3
"""Real Rocket.Chat clients against a live roster (issue 13), on SQLite and on Postgres.

For each backend: start `target/debug/roster serve` on a free port over a fresh database, seed a
tenant, an admin and a target user (with usernames) through the native API, then run

- .ci/clients/rocketchat.py: the PyPI client `rocketchat-api` (pinned below): login by email
  and by username, info, me, users.info three ways, setActiveStatus with and without
  confirmRelinquish, logout;
- .ci/clients/rc_sdk.js: the REST module of npm's `@rocket.chat/sdk` (pinned below): login, me,
  and its logout by GET.

Both point at the tenant base URL `/t/clients`, as a user switching from Rocket.Chat would.
Any failed check fails the run.

Installing the SDK: `npm install @rocket.chat/sdk` fails (the package depends on a git
repository the npm registry does not serve), so its published tarball is `npm pack`ed and
unpacked, and only what its REST module requires (node-rest-client, pinned with a lockfile in
.ci/clients/) is installed with `npm ci`.

Usage: .ci/clients/run.py [--backend sqlite|postgres]... (default: both). Needs
target/debug/roster built, python3 with pip, node and npm, and TEST_DATABASE_URL for Postgres.
"""

import argparse
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from live import ROOT, Roster, call, database_url, log  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = ROOT / "target" / "clients"
RC_API_VERSION = "3.7.1"
SDK_VERSION = "0.2.9"
PASSWORD = "correct horse battery staple"
TENANT = "clients"


def install_python_client():
    try:
        if importlib.metadata.version("rocketchat-api") == RC_API_VERSION:
            return
    except importlib.metadata.PackageNotFoundError:
        pass
    log(f"installing rocketchat-api {RC_API_VERSION}")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
         f"rocketchat-api=={RC_API_VERSION}"],
        check=True,
    )


def install_sdk():
    """The SDK's published files under OUT/node/sdk, and its REST module's one dependency
    under OUT/node/node_modules, where Node finds it from the SDK's files."""
    node = OUT / "node"
    sdk = node / "sdk"
    if (sdk / "package.json").exists() and json.loads((sdk / "package.json").read_text())["version"] == SDK_VERSION \
            and (node / "node_modules" / "node-rest-client").exists():
        return sdk
    log(f"installing @rocket.chat/sdk {SDK_VERSION} (its REST module only)")
    shutil.rmtree(node, ignore_errors=True)
    node.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(HERE / name, node / name)
    subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--silent"], cwd=node, check=True)
    packed = subprocess.run(
        ["npm", "pack", f"@rocket.chat/sdk@{SDK_VERSION}", "--silent"],
        cwd=node, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]
    with tarfile.open(node / packed) as tar:
        tar.extractall(node, filter="data")
    (node / "package").rename(sdk)
    return sdk


def seed(roster):
    """A tenant, an admin, and a target who alone owns a room with another active member.
    Answers the environment the client scripts read."""
    op = {"Authorization": f"Bearer {roster.operator}"}
    _, tenant = call(roster.base, "POST", "/v1/tenants", {"slug": TENANT, "name": "Clients"}, op)
    key = {"Authorization": f"Bearer {tenant['api_key']}"}

    def user(email, username, roles):
        _, u = call(
            roster.base,
            "POST",
            "/v1/users",
            {"email": email, "username": username, "status": "active", "roles": roles,
             "password": PASSWORD, "first_name": "Ci"},
            key,
        )
        return u

    admin = user("ci.admin@example.com", "ci.admin", ["admin"])
    target = user("ci.target@example.com", "ci_target", [])
    heir = user("ci.heir@example.com", "ci-heir", [])
    _, room = call(roster.base, "POST", "/v1/rooms", {"name": "ci-room", "type": "channel"}, key)
    for member, role in [(target, "owner"), (heir, "member")]:
        call(roster.base, "POST", f"/v1/rooms/{room['id']}/members", {"user_id": member["id"], "role": role}, key)
    url = f"{roster.base}/t/{TENANT}"
    return {
        "ROSTER_RC_URL": url,
        "ROSTER_RC_PASSWORD": PASSWORD,
        "ROSTER_RC_ADMIN": json.dumps({"id": admin["id"], "email": admin["email"], "username": admin["username"]}),
        "ROSTER_RC_TARGET": json.dumps(
            {"id": target["id"], "email": target["email"], "username": target["username"], "room": room["name"]}
        ),
        # @rocket.chat/sdk's own settings.
        "ROCKETCHAT_URL": url,
        "ROCKETCHAT_USER": admin["username"],
        "ROCKETCHAT_PASSWORD": PASSWORD,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    install_python_client()
    sdk = install_sdk()
    failures = []
    for backend in args.backend or ["sqlite", "postgres"]:
        log(f"Rocket.Chat clients against roster on {backend}")
        roster = Roster(database_url(backend, "roster_clients", OUT), OUT)
        try:
            env = dict(os.environ, **seed(roster), ROSTER_SDK_DIR=str(sdk))
            for name, cmd in [
                ("rocketchat-api", [sys.executable, str(HERE / "rocketchat.py")]),
                ("@rocket.chat/sdk", ["node", str(HERE / "rc_sdk.js")]),
            ]:
                if subprocess.run(cmd, env=env).returncode != 0:
                    failures.append(f"{name} on {backend}")
        finally:
            roster.stop()
    if failures:
        print(f"\nRocket.Chat client checks FAILED: {', '.join(failures)} (roster logs in {OUT})")
        return 1
    print("\nRocket.Chat client checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
