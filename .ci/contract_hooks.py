"""schemathesis hooks for .ci/contract.py: credentials for each operation, chosen from the
security requirement the document declares for it (so the operator API gets the operator
token, Publica.la its X-User-Token, Regpack its four headers with a fresh Timestamp...)."""

import os
import time

import schemathesis


def _credential(scheme):
    env = os.environ
    return {
        "api_key": ("Authorization", lambda: f"Bearer {env['ROSTER_CONTRACT_API_KEY']}"),
        "operator": ("Authorization", lambda: f"Bearer {env['ROSTER_CONTRACT_OPERATOR']}"),
        "session": ("Authorization", lambda: f"Bearer {env['ROSTER_CONTRACT_SESSION']}"),
        "publica_token": ("X-User-Token", lambda: env["ROSTER_CONTRACT_API_KEY"]),
        "rocketchat_user_id": ("X-User-Id", lambda: env["ROSTER_CONTRACT_RC_USER"]),
        "rocketchat_auth_token": ("X-Auth-Token", lambda: env["ROSTER_CONTRACT_RC_TOKEN"]),
        "regpack_api_token": ("Api-Token", lambda: env["ROSTER_CONTRACT_API_KEY"]),
        "regpack_api_id": ("Api-Id", lambda: env["ROSTER_CONTRACT_ACCOUNT"]),
        "regpack_api_user": ("Api-User", lambda: env["ROSTER_CONTRACT_ADMIN"]),
        # Regpack refuses a Timestamp more than 5 minutes off: make it at send time.
        "regpack_timestamp": ("Timestamp", lambda: str(int(time.time()))),
    }.get(scheme)


@schemathesis.auth()
class Credentials:
    def get(self, case, ctx):
        return True

    def set(self, case, data, ctx):
        requirements = case.operation.definition.raw.get("security") or []
        if not requirements:
            return
        if case.headers is None:
            case.headers = {}
        for scheme in requirements[0]:
            credential = _credential(scheme)
            if credential:
                name, value = credential
                case.headers[name] = value()
