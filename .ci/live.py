"""A live roster for CI's checks against the real binary (.ci/contract.py, .ci/clients/run.py):
`target/debug/roster serve` on a free port over a fresh database, called over HTTP, stopped
with SIGTERM."""

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / "target" / "debug" / "roster"


def log(msg):
    print(f"\n==> {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(base, method, path, body=None, headers=None, timeout=30):
    """One call that any answer ends: (status, headers, JSON body or None). Connection errors
    are raised (OSError)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            status, got, raw = res.status, res.headers, res.read()
    except urllib.error.HTTPError as e:
        status, got, raw = e.code, e.headers, e.read()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return status, got, parsed


def call(base, method, path, body=None, headers=None):
    """A set-up call: answers (status, JSON body); any HTTP error stops the run."""
    status, _, parsed = request(base, method, path, body, headers)
    if status >= 400:
        raise SystemExit(f"set-up call {method} {path} failed: {status} {str(parsed)[:500]!r}")
    return status, parsed


class Roster:
    """A roster process on `database_url`, logging to `log_dir`, with an operator token (a
    random one unless `env` sets ROSTER_OPERATOR_TOKEN). Email is logged unless `env` sets
    SMTP_URL (one set in the caller's environment is ignored)."""

    def __init__(self, database_url, log_dir, env=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(env or {})
        self.operator = env.pop("ROSTER_OPERATOR_TOKEN", None) or secrets.token_urlsafe(24)
        full_env = dict(os.environ)
        full_env.pop("SMTP_URL", None)
        full_env.update(
            DATABASE_URL=database_url,
            ROSTER_BIND=f"127.0.0.1:{self.port}",
            ROSTER_OPERATOR_TOKEN=self.operator,
            RUST_LOG="warn",
        )
        full_env.update(env)
        self.log_path = Path(log_dir) / f"roster-{self.port}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [str(BINARY), "serve"], env=full_env, stdout=self.log, stderr=subprocess.STDOUT
        )
        for _ in range(300):
            try:
                urllib.request.urlopen(self.base + "/readyz", timeout=1)
                return
            except Exception:
                if self.proc.poll() is not None:
                    raise SystemExit(f"roster exited; see {self.log_path}")
                time.sleep(0.1)
        raise SystemExit("roster did not become ready")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def database_url(backend, name, out_dir):
    """A fresh database called `name`: a new SQLite file in `out_dir`, or a Postgres database
    (re)created on the server of TEST_DATABASE_URL."""
    if backend == "sqlite":
        path = Path(out_dir) / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite://{path}?mode=rwc"
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        raise SystemExit(f"TEST_DATABASE_URL is not set: the Postgres run of {name} needs it")
    subprocess.run(["psql", base, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", base, "-qc", f"CREATE DATABASE {name}"], check=True)
    return base.rsplit("/", 1)[0] + "/" + name
