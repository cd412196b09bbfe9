#!/usr/bin/env python3
"""Drives roster's Rocket.Chat dialect with the published Python client `rocketchat-api`
(PyPI, pinned in .ci/clients/run.py), pointed at a tenant base URL as a user would.

Reads what run.py seeded from the environment (ROSTER_RC_*), and prints one line per check;
exits 1 if any fails."""

import json
import os
import sys

from rocketchat_API.APIExceptions.RocketExceptions import (
    RocketApiException,
    RocketAuthenticationException,
)
from rocketchat_API.rocketchat import RocketChat

ENV = os.environ
URL = ENV["ROSTER_RC_URL"]
PASSWORD = ENV["ROSTER_RC_PASSWORD"]
ADMIN = json.loads(ENV["ROSTER_RC_ADMIN"])
TARGET = json.loads(ENV["ROSTER_RC_TARGET"])

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"  {'ok  ' if ok else 'FAIL'} rocketchat-api: {name}{'' if ok else f' -- {detail}'}", flush=True)


def refused(call):
    """The exception a call raises, or None when it succeeds."""
    try:
        call()
    except (RocketApiException, RocketAuthenticationException) as e:
        return e
    return None


def main():
    # The client sends an email-shaped name as `user`, anything else as `username`.
    by_email = RocketChat(ADMIN["email"], PASSWORD, server_url=URL)
    check("login by email", by_email.headers.get("X-User-Id") == ADMIN["id"], by_email.headers)
    rc = RocketChat(ADMIN["username"], PASSWORD, server_url=URL)
    check("login by username", rc.headers.get("X-User-Id") == ADMIN["id"], rc.headers)
    check(
        "a wrong password is refused",
        isinstance(refused(lambda: RocketChat(ADMIN["username"], "wrong password", server_url=URL)), RocketAuthenticationException),
    )

    info = rc.info()
    check("info has a version", info.get("success") is True and info.get("version", "").count(".") >= 1, info)

    me = rc.me()
    check(
        "me",
        me.get("_id") == ADMIN["id"]
        and me.get("username") == ADMIN["username"]
        and me.get("email") == ADMIN["email"]
        and me.get("emails") == [{"address": ADMIN["email"], "verified": True}]
        and me.get("active") is True
        and "admin" in me.get("roles", [])
        and me.get("success") is True,
        me,
    )

    by_id = rc.users_info(user_id=TARGET["id"])
    by_name = rc.users_info(username=TARGET["username"])
    by_address = rc.users_info(email=TARGET["email"])
    for label, answer in [("userId", by_id), ("username", by_name), ("email", by_address)]:
        user = answer.get("user", {})
        check(
            f"users.info by {label}",
            answer.get("success") is True
            and user.get("_id") == TARGET["id"]
            and user.get("username") == TARGET["username"],
            answer,
        )
    missing = refused(lambda: rc.users_info(username="nobody-at-all"))
    check(
        "users.info of an unknown username is error-invalid-user",
        isinstance(missing, RocketApiException) and missing.error_type == "error-invalid-user",
        missing,
    )

    # The target alone owns a room with another active member: without confirmRelinquish the
    # deactivation is refused and names the room; with it, the room changes hands.
    refusal = refused(lambda: rc.users_set_active_status(TARGET["id"], False))
    check(
        "setActiveStatus without confirmRelinquish is refused (user-last-owner)",
        isinstance(refusal, RocketApiException)
        and refusal.error_type == "user-last-owner"
        and refusal.response_json.get("details", {}).get("shouldChangeOwner") == [TARGET["room"]],
        refusal,
    )
    done = rc.users_set_active_status(TARGET["id"], False, confirmRelinquish=True)
    check(
        "setActiveStatus with confirmRelinquish deactivates",
        done == {"user": {"_id": TARGET["id"], "active": False}, "success": True},
        done,
    )
    check("users.info shows the user inactive", rc.users_info(user_id=TARGET["id"])["user"]["active"] is False)
    back = rc.users_set_active_status(TARGET["id"], True)
    check("setActiveStatus true reactivates", back.get("user", {}).get("active") is True, back)

    out = rc.logout()
    check("logout", out.get("status") == "success", out)
    after = refused(lambda: rc.me())
    check(
        "the token is dead after logout",
        isinstance(after, RocketApiException) and after.status_code == 401,
        after,
    )
    check("the other session stays", by_email.me().get("_id") == ADMIN["id"])
    by_email.logout()

    failed = results.count(False)
    print(f"rocketchat-api: {len(results) - failed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
