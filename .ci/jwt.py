"""External sign-in tokens made by another JWT library (PyJWT, with cryptography for the keys)
against a live roster on SQLite and on Postgres: a tenant registers an RS256 public key (then an
ES256 one, then an HS256 secret) and roster must accept exactly the valid tokens, each once.

Refused, each with a fresh `jti`: expired, not yet valid, wrong audience, signed with another
key, `alg: none`, HS256 signed with the RS256 public key as the secret (the classic algorithm
confusion), and the valid token replayed. Fails (exit 1) on any other outcome."""

import base64
import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
# This file is called jwt.py: PyJWT's `jwt` must not resolve to it.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]
import jwt  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402

sys.path.insert(0, str(HERE))
from live import ROOT, Roster, call, database_url, log  # noqa: E402

OUT = ROOT / "target" / "ci-jwt"
AUDIENCE = "roster-ci"


def post(base, path, body):
    """(status, JSON body) of a POST, whatever the status."""
    req = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def public_pem(private):
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_by_hand(claims, secret):
    """HS256 with any bytes as the secret: PyJWT refuses a PEM public key as an HMAC secret,
    which is exactly the confusion an attacker tries."""
    signing_input = f'{b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())}.' \
                    f"{b64(json.dumps(claims).encode())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def unsigned(claims):
    return f'{b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())}.{b64(json.dumps(claims).encode())}.'


def claims(external_id, **over):
    now = int(time.time())
    c = {
        "iss": "ci-platform",
        "aud": AUDIENCE,
        "sub": "user",
        "jti": str(uuid.uuid4()),
        "exp": now + 60,
        "user": {"uuid": external_id, "email": f"{external_id[:8]}@platform.example",
                 "name": "Ada Lovelace"},
    }
    c.update(over)
    return c


def run(backend):
    roster = Roster(database_url(backend, "roster_jwt", OUT), OUT)
    failures = []

    def expect(name, token, status):
        got, body = post(roster.base, "/t/jwt/v1/sessions/external", {"token": token})
        ok = got == status
        print(f"  {'ok ' if ok else 'BAD'} {name}: {got} {body.get('detail', '') if isinstance(body, dict) else ''}",
              flush=True)
        if not ok:
            failures.append(f"{backend}: {name}: expected {status}, got {got} {body}")
        return body

    try:
        op = {"Authorization": f"Bearer {roster.operator}"}
        _, tenant = call(roster.base, "POST", "/v1/tenants", {"slug": "jwt", "name": "JWT"}, op)
        key = {"Authorization": f"Bearer {tenant['api_key']}"}
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        rsa_public = public_pem(rsa_key)
        call(roster.base, "PUT", "/v1/external-auth/key",
             {"algorithm": "RS256", "key": rsa_public, "audience": AUDIENCE,
              "create_users": True}, key)
        user = str(uuid.uuid4())
        now = int(time.time())
        log(f"RS256 tokens made by PyJWT {jwt.__version__} ({backend})")
        expect("expired", jwt.encode(claims(user, exp=now - 300), rsa_key, algorithm="RS256"), 401)
        expect("not yet valid", jwt.encode(claims(user, nbf=now + 600), rsa_key, algorithm="RS256"), 401)
        expect("wrong audience", jwt.encode(claims(user, aud="someone-else"), rsa_key, algorithm="RS256"), 401)
        expect("wrong key", jwt.encode(claims(user), other_rsa, algorithm="RS256"), 401)
        expect("alg none", unsigned(claims(user)), 401)
        expect("HS256 signed with the RS256 public key",
               hs256_by_hand(claims(user), rsa_public.encode()), 401)
        valid = jwt.encode(claims(user), rsa_key, algorithm="RS256")
        body = expect("valid", valid, 201)
        if isinstance(body, dict) and body.get("user", {}).get("external_id") != user:
            failures.append(f"{backend}: the valid token signed in {body}")
        expect("replayed", valid, 401)

        log(f"ES256 and HS256 keys ({backend})")
        ec_key = ec.generate_private_key(ec.SECP256R1())
        call(roster.base, "PUT", "/v1/external-auth/key",
             {"algorithm": "ES256", "key": public_pem(ec_key), "audience": AUDIENCE,
              "create_users": True}, key)
        expect("ES256 valid", jwt.encode(claims(user), ec_key, algorithm="ES256"), 201)
        expect("RS256 token once ES256 is registered",
               jwt.encode(claims(user), rsa_key, algorithm="RS256"), 401)
        secret = "a-shared-secret-of-more-than-32-bytes"
        call(roster.base, "PUT", "/v1/external-auth/key",
             {"algorithm": "HS256", "key": secret, "audience": AUDIENCE,
              "create_users": True}, key)
        hs = jwt.encode(claims(user), secret, algorithm="HS256")
        expect("HS256 valid", hs, 201)
        expect("HS256 replayed", hs, 401)
        expect("HS256 with another secret",
               jwt.encode(claims(user), secret + "!", algorithm="HS256"), 401)
    finally:
        roster.stop()
    return failures


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    failures = []
    for backend in ("sqlite", "postgres"):
        failures += run(backend)
    if failures:
        print("\n".join(["", "external sign-in token checks failed:", *failures]))
        sys.exit(1)
    print("\nexternal sign-in tokens: every check passed on SQLite and Postgres")


if __name__ == "__main__":
    main()
