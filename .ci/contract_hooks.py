"""schemathesis hooks for .ci/contract.py.

- Credentials for each operation, chosen from the security requirement the document declares
  for it (the operator API gets the operator token, Publica.la its X-User-Token, Regpack its
  four headers with a Timestamp made at send time...).
- Fresh idempotency keys: the document's example key would otherwise be sent with many
  different bodies, and roster rightly answers each of those with a 422 mismatch; a valid
  generated key gets a unique suffix so that the request reaches the handler.
- Real ids: about half of the generated path parameters (and Rocket.Chat's `userId`) are
  replaced by the ids of data made in the set-up, so that the run reaches the handlers' logic
  instead of only their 404s. Which half depends only on the generated value, so the seeded
  run stays reproducible.
"""

import itertools
import json
import os
import time
import zlib

import schemathesis

ENV = os.environ


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    """The import's body: NDJSON, one JSON document a line. A generated string goes as it is
    (a line roster parses, or refuses by its number); anything else as one JSON line."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, list):
        return "".join(json.dumps(v) + "\n" for v in value).encode()
    return (json.dumps(value) + "\n").encode()
IDS = json.loads(ENV.get("ROSTER_CONTRACT_IDS", "{}"))


def _credential(scheme, operation_id):
    # Logging out (by POST or GET) ends the session it is called with: it gets its own.
    logout = operation_id in ("rocketchatLogout", "rocketchatLogoutGet")
    return {
        "api_key": ("Authorization", lambda: f"Bearer {ENV['ROSTER_CONTRACT_API_KEY']}"),
        "operator": ("Authorization", lambda: f"Bearer {ENV['ROSTER_CONTRACT_OPERATOR']}"),
        "session": ("Authorization", lambda: f"Bearer {ENV['ROSTER_CONTRACT_SESSION']}"),
        "publica_token": ("X-User-Token", lambda: ENV["ROSTER_CONTRACT_API_KEY"]),
        "rocketchat_user_id": (
            "X-User-Id",
            lambda: ENV["ROSTER_CONTRACT_RC_LOGOUT_USER" if logout else "ROSTER_CONTRACT_RC_USER"],
        ),
        "rocketchat_auth_token": (
            "X-Auth-Token",
            lambda: ENV["ROSTER_CONTRACT_RC_LOGOUT_TOKEN" if logout else "ROSTER_CONTRACT_RC_TOKEN"],
        ),
        "regpack_api_token": ("Api-Token", lambda: ENV["ROSTER_CONTRACT_API_KEY"]),
        "regpack_api_id": ("Api-Id", lambda: ENV["ROSTER_CONTRACT_ACCOUNT"]),
        "regpack_api_user": ("Api-User", lambda: ENV["ROSTER_CONTRACT_ADMIN"]),
        # Regpack refuses a Timestamp more than 5 minutes off.
        "regpack_timestamp": ("Timestamp", lambda: str(int(time.time()))),
    }.get(scheme)


_keys = itertools.count()


def _valid_key(key):
    return isinstance(key, str) and 1 <= len(key) <= 255 and all(" " <= c <= "~" for c in key)


@schemathesis.auth()
class Credentials:
    def get(self, case, ctx):
        return True

    def set(self, case, data, ctx):
        # Applied to every request of every phase, just before it is sent.
        if case.headers and _valid_key(case.headers.get("Idempotency-Key")):
            case.headers["Idempotency-Key"] = f"{case.headers['Idempotency-Key'][:230]}-{next(_keys)}"
        raw = case.operation.definition.raw
        requirements = raw.get("security") or []
        if not requirements:
            return
        if case.headers is None:
            case.headers = {}
        for scheme in requirements[0]:
            credential = _credential(scheme, raw.get("operationId"))
            if credential:
                name, value = credential
                case.headers[name] = value()


def _known(path, name):
    """The id of set-up data for this path parameter, if there is one. API keys are left
    alone: revoking the run's own key would end the run."""
    if name == "user_id" or (name == "id" and path.startswith("/v1/users/")):
        return IDS.get("user")
    if name == "id" and path.startswith("/v1/groups/"):
        return IDS.get("group")
    if name == "id" and path.startswith("/v1/rooms/"):
        return IDS.get("room")
    if name == "id" and path.startswith("/v1/tenants/"):
        return IDS.get("tenant_id")
    if name in ("network_id", "tenant"):
        return IDS.get("tenant")
    if name == "user_email":
        return IDS.get("email")
    if name == "user":
        return IDS.get("user_number")
    return None


def _half(value):
    return zlib.crc32(repr(value).encode()) % 2 == 0


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    if not path_parameters:
        return path_parameters
    path = ctx.operation.path
    for name, value in list(path_parameters.items()):
        known = _known(path, name)
        if known is not None and _half(value):
            path_parameters[name] = known
    return path_parameters


@schemathesis.hook
def map_query(ctx, query):
    if query and "userId" in query and _half(query["userId"]):
        query["userId"] = IDS.get("user")
    return query


@schemathesis.hook
def map_body(ctx, body):
    if isinstance(body, dict) and "userId" in body and _half(body["userId"]):
        body["userId"] = IDS.get("user")
    return body

