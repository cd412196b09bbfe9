#!/usr/bin/env python3
"""roster's benchmark: one run, both backends, roster beside the raw-Postgres limit.

Started by bench/run (which installs wrk, matplotlib and builds roster first). Everything it
starts (roster processes, wrk, pgbench) it stops; every database it creates it drops. Load goes
to 127.0.0.1 only, and every load point is bounded in time.
"""

import argparse
import base64
import datetime
import glob
import http.client
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
LUA = os.path.join(BENCH, "lua")
PGB = os.path.join(BENCH, "pgbench")
RESULTS = os.path.join(BENCH, "results")
# BENCH_ROSTER: another build (a debug one, to check a scenario at small scale; never for figures).
ROSTER = os.environ.get("BENCH_ROSTER") or os.path.join(ROOT, "target", "release", "roster")
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgres://postgres:roster-ci@127.0.0.1:5432/postgres")
CONCURRENCIES = [1, 8, 32]
RUN_ID = f"{os.getpid()}_{int(time.time())}"

# Every row the bench seeds is one of these pools; ids and emails are derived from the index,
# so the wrk scripts can name them without a lookup.
ID_PREFIX = {"b": "bbbbbbbb", "w": "99999999", "d": "dddddddd", "p": "aaaaaaaa", "e": "eeeeeeee",
             "l": "11111111", "r": "77777777", "h": "88888888", "s": "5ca1ed00"}


def uid(pool, i):
    return f"{ID_PREFIX[pool]}-0000-4000-8000-{i:012d}"


def log(*a):
    print(f"[{datetime.datetime.utcnow():%H:%M:%S}]", *a, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def psql(url, sql):
    return sh(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]).strip()


def db_url(name):
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


# ---------------------------------------------------------------------------------------------
# roster processes

class Roster:
    def __init__(self, database_url, port, workdir, key=None):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.stderr_path = os.path.join(workdir, f"roster-{port}.log")
        env = dict(os.environ, DATABASE_URL=database_url, ROSTER_LOG_FORMAT="json", RUST_LOG="warn",
                   # The Publica.la dialect's per-key limit (100/min by default) would answer
                   # 429 to a load test; the bench lifts it, the counter is still written.
                   ROSTER_PUBLICA_RATE_LIMIT="1000000000",
                   # Scenario 2c delivers webhooks to a receiver on loopback.
                   ROSTER_WEBHOOKS_ALLOW_PRIVATE="1")
        self.err = open(self.stderr_path, "a")
        self.proc = subprocess.Popen([ROSTER, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                                     stdout=subprocess.PIPE, stderr=self.err, text=True)
        self.key = key
        deadline = time.time() + 60
        # On an empty database the default tenant's key is the first line on stdout.
        for _ in range(0 if key else 6):
            m = re.search(r"(rst_[A-Za-z0-9_\-]+)", self.proc.stdout.readline() or "")
            if m:
                self.key = m.group(1)
                break
        if not self.key:
            raise RuntimeError("roster printed no API key; see " + self.stderr_path)
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.base + "/readyz", timeout=1).read()
                return
            except Exception:
                time.sleep(0.2)
        raise RuntimeError("roster did not become ready; see " + self.stderr_path)

    def hwm_kib(self, field="VmHWM"):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return None

    def log_count(self, needle):
        self.err.flush()
        with open(self.stderr_path, errors="replace") as f:
            return sum(1 for line in f if needle in line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()

    def call(self, method, path, body=None):
        req = urllib.request.Request(self.base + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {self.key}",
                                              "Content-Type": "application/json"})
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, text = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        return status, text, (time.perf_counter() - t) * 1000


# ---------------------------------------------------------------------------------------------
# a webhook receiver on loopback (scenario 2c)

class Receiver:
    """Answers every delivery 204 and counts them: the far end of one subscribed endpoint."""

    def __init__(self):
        import http.server
        import threading
        counter = self
        self.count = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                counter.count += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


# ---------------------------------------------------------------------------------------------
# load: wrk and pgbench

def wrk(roster, script, conc, duration, args=(), env=None):
    threads = min(2, conc)
    cmd = ["wrk", "-t", str(threads), "-c", str(conc), "-d", f"{duration}s", "--timeout", "10s",
           "-s", os.path.join(LUA, script), roster.base, "--"] + [str(a) for a in args] + [roster.key]
    e = dict(os.environ, BENCH_LUA=LUA, **(env or {}))
    out = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=duration + 60)
    m = re.search(r"WRKJSON (\{.*\})", out.stdout)
    if not m:
        raise RuntimeError(f"wrk gave no result: {out.stdout}\n{out.stderr}")
    r = json.loads(m.group(1))
    secs = r["duration_us"] / 1e6
    errors = r["non2xx"] + r["socket_errors"] + r["timeouts"]
    res = {"tool": "wrk", "concurrency": conc, "threads": threads, "seconds": round(secs, 2),
           "requests": r["requests"], "rps": round(r["requests"] / secs, 1), "errors": errors,
           "non2xx": r["non2xx"], "socket_errors": r["socket_errors"], "timeouts": r["timeouts"],
           "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000, "max_ms": r["max_us"] / 1000}
    if out.stderr.strip():
        res["sample_errors"] = out.stderr.strip().splitlines()[:3]
    return res


def pgbench(dbname_url, script, conc, duration, defines, workdir):
    threads = min(2, conc)
    logdir = tempfile.mkdtemp(dir=workdir, prefix="pgb")
    cmd = ["pgbench", "-n", "-M", "prepared", "-c", str(conc), "-j", str(threads), "-T", str(duration),
           "-f", os.path.join(PGB, script), "-l", "--log-prefix", os.path.join(logdir, "x")]
    for k, v in defines.items():
        cmd += ["-D", f"{k}={v}"]
    out = subprocess.run(cmd + [dbname_url], capture_output=True, text=True, timeout=duration + 120)
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    if not m:
        raise RuntimeError(f"pgbench failed: {out.stdout}\n{out.stderr}")
    lat = []
    for f in glob.glob(os.path.join(logdir, "x*")):
        with open(f) as fh:
            for line in fh:
                p = line.split()
                if len(p) >= 3 and p[2].isdigit():
                    lat.append(int(p[2]))
    shutil.rmtree(logdir, ignore_errors=True)
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] / 1000 if lat else None
    return {"tool": "pgbench", "concurrency": conc, "threads": threads, "tps": float(m.group(1)),
            "transactions": len(lat), "failed": int(failed.group(1)) if failed else 0,
            "p50_ms": q(0.50), "p99_ms": q(0.99)}


# ---------------------------------------------------------------------------------------------
# seeding

class PgSeeder:
    def __init__(self, url):
        self.url = url
        self.tenant = psql(url, "SELECT id FROM tenants WHERE slug = 'default'")

    def users(self, pool, start, end, status="active", password_hash=None, fast=False):
        """Users start..end of a pool: id, email <pool><i>@bench.test, username <pool><i>, unique
        referral code, email_key, username_key, search_text, version 1 — the columns roster itself
        writes."""
        pw = "NULL" if password_hash is None else "'" + password_hash + "'"
        sql = f"""
        INSERT INTO users (id, tenant_id, email, email_key, username, username_key, first_name, last_name,
            password_hash, status, roles, search_text, referral_code, created_at, updated_at, status_changed_at, version)
        SELECT ('{ID_PREFIX[pool]}-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, '{self.tenant}',
            '{pool}' || g || '@bench.test', '{pool}' || g || '@bench.test', '{pool}' || g, '{pool}' || g,
            'Bench', 'User', {pw}, '{status}',
            '', '{pool}' || g || '@bench.test' || E'\\n' || 'bench' || E'\\n' || 'user',
            upper('{pool}' || lpad(to_hex(g), 9, '0')), now(), now(), now(), 1
        FROM generate_series({start}, {end}) g"""
        if fast:
            # For the million-user tenant: the email-key index trigger is set-based here.
            sql = f"""ALTER TABLE users DISABLE TRIGGER users_email_keys; {sql};
            INSERT INTO email_keys (tenant_id, email_key, email, user_id, is_primary, added_at)
            SELECT tenant_id, email_key, email, id, TRUE, created_at FROM users
             WHERE tenant_id = '{self.tenant}' AND id >= '{uid(pool, start)}' AND id <= '{uid(pool, end)}';
            ALTER TABLE users ENABLE TRIGGER users_email_keys"""
        psql(self.url, sql)

    def rooms(self, owner_i, heir_i, n):
        """n rooms owned by r<owner_i> alone; half of them also have h<heir_i> as a member (they
        are handed over on relinquish), the other half only the owner (they are removed)."""
        owner, heir = uid("r", owner_i), uid("h", heir_i)
        psql(self.url, f"""
        INSERT INTO rooms (id, tenant_id, name, kind, created_at)
        SELECT md5('{owner}' || g)::uuid, '{self.tenant}', 'room-{owner_i}-' || g, 'channel', now()
        FROM generate_series(1, {n}) g;
        INSERT INTO room_members (tenant_id, room_id, user_id, role, joined_at)
        SELECT '{self.tenant}', md5('{owner}' || g)::uuid, '{owner}', 'owner', now() FROM generate_series(1, {n}) g;
        INSERT INTO room_members (tenant_id, room_id, user_id, role, joined_at)
        SELECT '{self.tenant}', md5('{owner}' || g)::uuid, '{heir}', 'member', now()
        FROM generate_series(1, {n}) g WHERE g % 2 = 0""")

    def analyze(self):
        # VACUUM too, so autovacuum does not wake on the fresh rows in the middle of a point.
        psql(self.url, "VACUUM ANALYZE")

    def count(self, where):
        return int(psql(self.url, f"SELECT count(*) FROM users WHERE tenant_id = '{self.tenant}' AND {where}"))

    def number_at(self, status, frac):
        n = self.count(f"status = '{status}'")
        off = max(0, int(n * frac) - 1)
        return int(psql(self.url, f"SELECT number FROM users WHERE tenant_id = '{self.tenant}' AND status = '{status}' "
                                  f"ORDER BY number OFFSET {off} LIMIT 1") or 0)


class LiteSeeder:
    def __init__(self, path):
        self.path = path
        c = self.conn()
        self.tenant, self.created = c.execute("SELECT id, created_at FROM tenants WHERE slug = 'default'").fetchone()
        c.close()

    def conn(self):
        c = sqlite3.connect(self.path, timeout=60)
        c.execute("PRAGMA busy_timeout = 60000")
        return c

    def users(self, pool, start, end, status="active", password_hash=None, fast=False):
        c = self.conn()
        rows = ((uuid.UUID(uid(pool, g)).bytes, self.tenant, f"{pool}{g}@bench.test", f"{pool}{g}@bench.test",
                 "Bench", "User", password_hash, status, "", f"{pool}{g}@bench.test\nbench\nuser",
                 f"{pool.upper()}{g:09X}", self.created, self.created, self.created, 1)
                for g in range(start, end + 1))
        c.executemany("INSERT INTO users (id, tenant_id, email, email_key, first_name, last_name, password_hash, "
                      "status, roles, search_text, referral_code, created_at, updated_at, status_changed_at, version) "
                      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        c.commit()
        c.close()

    def rooms(self, owner_i, heir_i, n):
        owner, heir = uuid.UUID(uid("r", owner_i)).bytes, uuid.UUID(uid("h", heir_i)).bytes
        c = self.conn()
        ids = [uuid.uuid5(uuid.NAMESPACE_OID, f"{owner_i}-{g}").bytes for g in range(1, n + 1)]
        c.executemany("INSERT INTO rooms (id, tenant_id, name, kind, created_at) VALUES (?,?,?,?,?)",
                      [(ids[g - 1], self.tenant, f"room-{owner_i}-{g}", "channel", self.created) for g in range(1, n + 1)])
        c.executemany("INSERT INTO room_members (tenant_id, room_id, user_id, role, joined_at) VALUES (?,?,?,?,?)",
                      [(self.tenant, r, owner, "owner", self.created) for r in ids])
        c.executemany("INSERT INTO room_members (tenant_id, room_id, user_id, role, joined_at) VALUES (?,?,?,?,?)",
                      [(self.tenant, r, heir, "member", self.created) for i, r in enumerate(ids, 1) if i % 2 == 0])
        c.commit()
        c.close()

    def analyze(self):
        c = self.conn()
        c.execute("ANALYZE")
        c.commit()
        c.close()

    def count(self, where):
        c = self.conn()
        n = c.execute(f"SELECT count(*) FROM users WHERE tenant_id = ? AND {where}", (self.tenant,)).fetchone()[0]
        c.close()
        return n

    def number_at(self, status, frac):
        c = self.conn()
        n = c.execute("SELECT count(*) FROM users WHERE tenant_id = ? AND status = ?", (self.tenant, status)).fetchone()[0]
        r = c.execute("SELECT number FROM users WHERE tenant_id = ? AND status = ? ORDER BY number LIMIT 1 OFFSET ?",
                      (self.tenant, status, max(0, int(n * frac) - 1))).fetchone()
        c.close()
        return r[0] if r else 0


def hashrate(seconds):
    """The single-core argon2id verify rate with roster's parameters, and a hash to log in with."""
    hr = subprocess.run([os.path.join(BENCH, "hashrate", "target", "release", "roster-hashrate"),
                         str(seconds)], capture_output=True, text=True, check=True)
    return json.loads(hr.stdout), hr.stderr.strip().splitlines()[-1]


def sqlite_commit_rate(workdir, seconds):
    """SQLite's own limit for one writer with roster's settings (WAL, synchronous=FULL): commits
    per second of a one-row UPDATE transaction, from this process, on the same filesystem."""
    path = os.path.join(workdir, "commit-rate.db")
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode = WAL")
    c.execute("PRAGMA synchronous = FULL")
    c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
    c.execute("INSERT INTO t VALUES (1, 0)")
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        c.execute("BEGIN IMMEDIATE")
        c.execute("UPDATE t SET v = v + 1 WHERE id = 1")
        c.execute("COMMIT")
        n += 1
    el = time.perf_counter() - start
    c.close()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    return {"commits": n, "seconds": round(el, 2), "per_second": round(n / el, 1)}


def cursor_after(number):
    return base64.urlsafe_b64encode(f"u:{number}".encode()).decode().rstrip("=")


# ---------------------------------------------------------------------------------------------
# one backend

def run_backend(name, cfg, workdir, port, login_hash, only_webhooks=False):
    """Runs scenarios 1 to 6 against roster on one backend; on Postgres also the pgbench limit.
    With `only_webhooks`, only 2a and 2c: a ban without and with a subscribed webhook."""
    out = {"backend": name, "scenarios": {}}
    if name == "postgres":
        dbname = f"roster_bench_{RUN_ID}"
        psql(PG_ADMIN, f"CREATE DATABASE {dbname}")
        url = db_url(dbname)
    else:
        dbname = None
        url = "sqlite://" + os.path.join(workdir, "bench.db")
    roster = None
    try:
        roster = Roster(url, port, workdir)
        seed = PgSeeder(url) if name == "postgres" else LiteSeeder(os.path.join(workdir, "bench.db"))
        D, Dslow = cfg["duration"], cfg["slow_duration"]
        per = cfg["per_thread"]  # distinct users each wrk thread may use per load point
        slice_ = 2 * per
        n_points = len(CONCURRENCIES)
        log(name, "seeding", 2 * n_points * slice_ + 2 * cfg["pool"], "users")
        seed.users("b", 1, n_points * slice_)
        seed.users("w", 1, n_points * slice_)
        seed.users("d", 1, n_points * slice_)
        seed.users("p", 1, cfg["pool"])
        seed.users("e", 1, cfg["pool"])
        seed.users("l", 1, 16, password_hash=login_hash)
        for k in range(1, cfg["relinquish_runs"] + 1):
            seed.users("r", k, k)
            seed.users("h", k, k)
            seed.rooms(k, k, 1000)
        seed.analyze()
        # Warm-up, discarded: fills roster's connection pool before the first point.
        wrk(roster, "get.lua", 32, 1, (0, 0, 0), env={"BENCH_PATH": "/v1/users?limit=1"})
        S = out["scenarios"]

        out["write_path_broken_after"] = []
        out["restarts"] = 0
        hwm = [0]

        def check_writes(after):
            """One write after a scenario. roster on SQLite has been seen to answer every later
            write with 500 once a client hung up in the middle of a write (see BENCHMARKS.md);
            the bench records that and restarts roster on the same database to go on."""
            nonlocal roster
            probe = f"probe-{after}-{time.time_ns()}@bench.test"
            status, text, _ = roster.call("POST", "/networks/default/user_status",
                                          {"user": probe, "status_change": "create_user"})
            if status // 100 != 2:
                log(name, "write path broken after", after, status, text[:200])
                out["write_path_broken_after"].append({"after": after, "status": status})
                hwm[0] = max(hwm[0], roster.hwm_kib() or 0)
                out["database_is_locked_log_lines"] = out.get("database_is_locked_log_lines", 0) + roster.log_count("database is locked")
                out["error_log_lines"] = out.get("error_log_lines", 0) + roster.log_count('"level":"ERROR"')
                key = roster.key
                roster.stop()
                os.rename(roster.stderr_path, roster.stderr_path + f".{out['restarts']}")
                roster = Roster(url, port, workdir, key=key)
                out["restarts"] += 1

        def point(label, key, conc, res):
            res["rss_kib_after"] = roster.hwm_kib("VmRSS")
            res["loadavg_1m"] = loadavg()
            S.setdefault(key, {"label": label, "points": []})["points"].append(res)
            if conc == CONCURRENCIES[-1]:
                check_writes(key)
            log(name, key, f"c={conc}", {k: res.get(k) for k in ("rps", "tps", "errors", "failed", "p50_ms", "p99_ms")})

        limit = {"create": "create.sql", "ban": "ban.sql", "patch": "patch.sql"}
        defines = {"tenant": getattr(seed, "tenant", ""), "pool": cfg["pool"]}

        if only_webhooks:
            run_webhook_points(roster, point, per, slice_, D)
            return out
        for i, c in enumerate(CONCURRENCIES):
            point("1. Village create_user (new email, no password)", "create", c,
                  wrk(roster, "village_create.lua", c, D, (i * 10_000_000, 5_000_000, 0)))
            if name == "postgres":
                point("1. limit: pgbench, same statements", "create_pgbench", c,
                      pgbench(url, limit["create"], c, D, defines, workdir))
        for i, c in enumerate(CONCURRENCIES):
            r = wrk(roster, "village_ban.lua", c, D, (i * slice_, per, 0))
            r["distinct_users_exhausted"] = r["requests"] > min(c, 2) * per
            point("2a. Village ban (audit + session revocation)", "ban", c, r)
            r = wrk(roster, "native_deactivate.lua", c, D, (i * slice_, per, 0))
            r["distinct_users_exhausted"] = r["requests"] > min(c, 2) * per
            point("2b. native POST /v1/users/{id}/deactivate", "deactivate", c, r)
            if name == "postgres":
                point("2. limit: pgbench, same statements as ban", "ban_pgbench", c,
                      pgbench(url, limit["ban"], c, D, defines, workdir))
        run_webhook_points(roster, point, per, slice_, D, with_plain=False)
        for c in CONCURRENCIES:
            point("3. Village PATCH (profile)", "patch", c,
                  wrk(roster, "village_patch.lua", c, D, (0, 0, cfg["pool"])))
            if name == "postgres":
                point("3. limit: pgbench, same statements", "patch_pgbench", c,
                      pgbench(url, limit["patch"], c, D, defines, workdir))

        # 4. lists, after the writes, so the deactivated filter has a deep list too.
        active = seed.count("status = 'active'")
        deact = seed.count("status = 'deactivated'")
        deep_active = seed.number_at("active", 0.9)
        deep_page = max(1, int(deact * 0.9) // 100)
        lists = {
            "list_native_first": ("4a. native /v1/users?status=active, first page (50)", "/v1/users?status=active"),
            "list_native_deep": (f"4b. native, status=active, cursor 90% deep (of {active})",
                                 f"/v1/users?status=active&cursor={cursor_after(deep_active)}"),
            "list_publica_first": ("4c. Publica.la list ?query=deactivated&page=1 (100)",
                                   "/integration-api/v1/dashboard/users?query=deactivated&page=1"),
            "list_publica_deep": (f"4d. Publica.la ?query=deactivated&page={deep_page} (of {deact})",
                                  f"/integration-api/v1/dashboard/users?query=deactivated&page={deep_page}"),
        }
        for key, (label, path) in lists.items():
            for c in CONCURRENCIES:
                point(label, key, c, wrk(roster, "get.lua", c, Dslow, (0, 0, 0), env={"BENCH_PATH": path}))
        # The limit is measured again right here, so that it and the login points see the
        # same machine: the start-of-run figure can be minutes and a changed load away.
        S["login_hashrate"], _ = hashrate(2 if cfg["duration"] < 5 else 5)
        log(name, "argon2id before the login points", S["login_hashrate"])
        for c in CONCURRENCIES:
            point("5. login POST /v1/sessions (argon2id verify)", "login", c,
                  wrk(roster, "login.lua", c, Dslow, (0, 0, 16)))

        # 6. deactivate with relinquish, 1,000 rooms each, one call at a time.
        runs = []
        for k in range(1, cfg["relinquish_runs"] + 1):
            status, text, ms = roster.call("POST", f"/v1/users/{uid('r', k)}/deactivate", {"relinquish": True})
            runs.append({"status": status, "ms": round(ms, 2)})
            if status // 100 != 2:
                log("relinquish failed", status, text[:300])
        check_writes("relinquish")
        S["relinquish"] = {"label": "6. deactivate with relinquish, user in 1,000 rooms (500 handed over, 500 removed)",
                           "runs": runs, "p50_ms": statistics.median(r["ms"] for r in runs),
                           "max_ms": max(r["ms"] for r in runs),
                           "errors": sum(1 for r in runs if r["status"] // 100 != 2)}
        log(name, "relinquish", S["relinquish"]["p50_ms"], "ms")
        out["peak_rss_kib"] = max(hwm[0], roster.hwm_kib() or 0)
        out["database_is_locked_log_lines"] = out.get("database_is_locked_log_lines", 0) + roster.log_count("database is locked")
        out["error_log_lines"] = out.get("error_log_lines", 0) + roster.log_count('"level":"ERROR"')
        return out
    finally:
        if roster:
            roster.stop()
        if dbname:
            psql(PG_ADMIN, f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")


def run_webhook_points(roster, point, per, slice_, duration, with_plain=True):
    """2c: the Village ban again, on its own users, with one endpoint subscribed to `banned`
    and a receiver on loopback; 2a beside it (unless the full run measured it already)."""
    receiver = Receiver()
    try:
        if with_plain:
            for i, c in enumerate(CONCURRENCIES):
                point("2a. Village ban (audit + session revocation)", "ban", c,
                      wrk(roster, "village_ban.lua", c, duration, (i * slice_, per, 0)))
        status, text, _ = roster.call("POST", "/v1/webhooks",
                                      {"url": receiver.url, "event_types": ["banned"]})
        if status // 100 != 2:
            raise RuntimeError(f"webhook endpoint refused: {status} {text[:200]}")
        endpoint = json.loads(text)["id"]
        for i, c in enumerate(CONCURRENCIES):
            r = wrk(roster, "village_ban_hooked.lua", c, duration, (i * slice_, per, 0))
            r["deliveries_received_so_far"] = receiver.count
            point("2c. Village ban, one webhook endpoint subscribed", "ban_webhook", c, r)
        roster.call("DELETE", f"/v1/webhooks/{endpoint}")
    finally:
        receiver.stop()


# ---------------------------------------------------------------------------------------------
# 7. scaling

def console_session(roster):
    """An admin of the default tenant signed in to its console: answers the Cookie header
    value that carries the session (issue 17's list page is measured with it)."""
    email = f"console-admin-{RUN_ID}@bench.test"
    status, text, _ = roster.call("POST", "/v1/users", {"email": email, "status": "active",
                                                         "password": "bench-console-pw", "roles": ["admin"]})
    if status != 201:
        raise RuntimeError(f"creating the console admin: {status} {text[:200]}")
    conn = http.client.HTTPConnection("127.0.0.1", roster.port, timeout=30)
    conn.request("GET", "/t/default/console/sign-in")
    res = conn.getresponse()
    page = res.read().decode()
    signin = re.search(r"roster_console_signin=([^;]+)", res.getheader("set-cookie") or "").group(1)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"email": email, "password": "bench-console-pw", "csrf": csrf})
    conn.request("POST", "/t/default/console/sign-in", body=body,
                 headers={"Content-Type": "application/x-www-form-urlencoded",
                          "Cookie": f"roster_console_signin={signin}"})
    res = conn.getresponse()
    res.read()
    session = re.search(r"roster_console=(rss_[^;]+)", " ".join(res.headers.get_all("set-cookie") or []))
    if res.status != 303 or not session:
        raise RuntimeError(f"console sign-in answered {res.status}")
    conn.close()
    return f"roster_console={session.group(1)}"


def console_points(roster, cookie, deep, duration):
    """8. the console's users list as a signed-in admin: the first page (with the five capped
    per-status counts), and a page 90% deep into the active users (keyset, like the API's)."""
    pages = [("console_list", "/t/default/console"),
             ("console_deep", f"/t/default/console?status=active&after={deep}")]
    points = {}
    for key, path in pages:
        points[key] = wrk(roster, "console.lua", 8, duration, (0, 0, 0), env={"BENCH_PATH": path, "BENCH_COOKIE": cookie})
        points[key]["loadavg_1m"] = loadavg()
    return points


def run_scaling(cfg, workdir, port, console_only=False):
    """The list, the console's list and one user's GET as the tenant grows (Postgres). With
    `console_only`, only the console's points."""
    dbname = f"roster_bench_scale_{RUN_ID}"
    psql(PG_ADMIN, f"CREATE DATABASE {dbname}")
    url = db_url(dbname)
    roster = None
    points = []
    try:
        roster = Roster(url, port, workdir)
        seed = PgSeeder(url)
        have = 0
        cookie = None
        for size in cfg["scale_sizes"]:
            t = time.time()
            seed.users("s", have + 1, size, fast=True)
            seed.analyze()
            log("scale: seeded", size, f"in {time.time() - t:.0f}s")
            have = size
            p = {"users": size}
            deep = seed.number_at("active", 0.9)
            # Warm-up, discarded: fills roster's connection pool and the caches after seeding.
            wrk(roster, "get_user.lua", 8, 1, (0, 0, size))
            api = [] if console_only else [
                ("list_first", "get.lua", {"BENCH_PATH": "/v1/users?status=active"}, 0),
                ("list_deep", "get.lua", {"BENCH_PATH": f"/v1/users?status=active&cursor={cursor_after(deep)}"}, 0),
                ("get", "get_user.lua", {}, size),
                ("scim_username", "scim_username.lua", {}, size),
            ]
            for key, script, env, pool in api:
                p[key] = wrk(roster, script, 8, cfg["scale_duration"], (0, 0, pool), env=env)
                p[key]["loadavg_1m"] = loadavg()
            cookie = cookie or console_session(roster)
            p.update(console_points(roster, cookie, deep, cfg["scale_duration"]))
            for key in [k for k in p if k != "users"]:
                log("scale", size, key, p[key]["p50_ms"], p[key]["p99_ms"], "errors", p[key]["errors"])
            points.append(p)
        return {"points": points, "peak_rss_kib": roster.hwm_kib()}
    finally:
        if roster:
            roster.stop()
        psql(PG_ADMIN, f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")


def plot(scaling, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    xs = [p["users"] for p in scaling["points"]]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for key, label, style in [("list_first", "list, status=active, first page", "o-"),
                              ("list_deep", "list, status=active, cursor 90% deep", "s-"),
                              ("get", "GET /v1/users/{id}", "^-"),
                              ("console_list", "console users page, first page", "d-")]:
        if key not in scaling["points"][0]:
            continue
        ax.plot(xs, [p[key]["p50_ms"] for p in scaling["points"]], style, label=f"{label} (p50)")
        ax.plot(xs, [p[key]["p99_ms"] for p in scaling["points"]], style, alpha=0.35, label=f"{label} (p99)")
    ax.set_xscale("log")
    ax.set_xlabel("users in the tenant")
    ax.set_ylabel("latency, ms (wrk, 8 connections)")
    ax.set_title("roster on Postgres: latency against tenant size")
    ax.grid(True, which="both", alpha=0.3)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)


# ---------------------------------------------------------------------------------------------
# report

# ---------------------------------------------------------------------------------------------
# bulk import: `roster import FILE` and POST /v1/users/import, beside a plain COPY of the same rows

def letters(i):
    """A name made of letters only (names may not hold digits)."""
    s = ""
    while True:
        s += "abcdefghijklmnopqrstuvwxyz"[i % 26]
        i //= 26
        if not i:
            return s.capitalize()


def import_file(workdir, n):
    path = os.path.join(workdir, f"import-{n}.ndjson")
    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps({"email": f"imp{i}@bench.test", "external_id": f"ext-{i}", "first_name": "Bench",
                                "last_name": letters(i), "phone_number": "+14155550142", "status": "active"}) + "\n")
    return path


def timed_child(cmd, env):
    """Runs cmd, answers (seconds, its peak RSS in KiB, stdout)."""
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[1]} failed: {p.stderr[-2000:]}")
    # wait4's rusage: this child alone.
    return took, p


def run_import(cfg, workdir, port):
    """100,000 users imported into an empty tenant: by the CLI and by the API, on Postgres (beside
    COPY of the same rows into users) and on SQLite."""
    n = cfg["import_users"]
    path = import_file(workdir, n)
    out = {"users": n, "file_mib": os.path.getsize(path) / 2**20}
    for backend in ("postgres", "sqlite"):
        r = out[backend] = {}
        for via in ("cli", "api"):
            if backend == "postgres":
                dbname = f"roster_bench_import_{via}_{RUN_ID}"
                psql(PG_ADMIN, f"CREATE DATABASE {dbname}")
                url = db_url(dbname)
            else:
                dbname = None
                url = "sqlite://" + os.path.join(workdir, f"import-{via}.db") + "?mode=rwc"
            env = dict(os.environ, DATABASE_URL=url, RUST_LOG="warn")
            try:
                sh([ROSTER, "migrate"], env=env)
                if via == "cli":
                    sh([ROSTER, "tenant", "create", "--slug", "bench"], env=env)
                    before = __import__("resource").getrusage(__import__("resource").RUSAGE_CHILDREN).ru_maxrss
                    took, p = timed_child([ROSTER, "import", "--tenant", "bench", path], env)
                    summary = json.loads(p.stdout.strip().splitlines()[-1])
                    r["cli"] = {"seconds": took, "per_second": n / took, "created": summary["created"],
                                "peak_rss_kib_children": __import__("resource").getrusage(__import__("resource").RUSAGE_CHILDREN).ru_maxrss,
                                "rss_before_kib": before}
                else:
                    roster = Roster(url, port, workdir)
                    try:
                        t = time.perf_counter()
                        req = urllib.request.Request(roster.base + "/v1/users/import", method="POST",
                                                     data=open(path, "rb"),
                                                     headers={"Authorization": f"Bearer {roster.key}",
                                                              "Content-Type": "application/x-ndjson",
                                                              "Content-Length": str(os.path.getsize(path))})
                        with urllib.request.urlopen(req, timeout=600) as resp:
                            last = None
                            for line in resp:
                                last = line
                        took = time.perf_counter() - t
                        summary = json.loads(last)["summary"]
                        r["api"] = {"seconds": took, "per_second": n / took, "created": summary["created"],
                                    "roster_peak_rss_kib": roster.hwm_kib()}
                    finally:
                        roster.stop()
                    port += 1
                if backend == "postgres" and via == "cli":
                    # The limit: COPY of the same rows (the columns roster writes) into users, in
                    # one transaction, into a second tenant of the same database.
                    csv_path = os.path.join(workdir, "copy.csv")
                    tenant = str(uuid.uuid4())
                    psql(url, f"INSERT INTO tenants (id, slug, name, created_at) VALUES ('{tenant}', 'copy', 'copy', now())")
                    now = datetime.datetime.utcnow().isoformat() + "Z"
                    with open(csv_path, "w") as f:
                        for i in range(n):
                            email = f"imp{i}@bench.test"
                            f.write(f"{uuid.uuid4()},{tenant},{email},{email},ext-{i},Bench,{letters(i)},+14155550142,active,\"\","
                                    f"{email}\\nbench,REF{i:07d}X,{now},{now},{now},1\n")
                    t = time.perf_counter()
                    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
                        f"\\copy users (id, tenant_id, email, email_key, external_id, first_name, last_name, phone_number, "
                        f"status, roles, search_text, referral_code, created_at, updated_at, status_changed_at, version) "
                        f"FROM '{csv_path}' WITH (FORMAT csv)"], capture_output=True, text=True)
                    took = time.perf_counter() - t
                    if p.returncode == 0:
                        r["copy"] = {"seconds": took, "per_second": n / took}
                    else:
                        log("copy failed", p.stderr[-500:])
            finally:
                if dbname:
                    psql(PG_ADMIN, f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
            log("import", backend, via, r.get(via))
    return out


def machine():
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with open("/proc/meminfo") as f:
        mem = f.readline().split(":")[1].strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "kernel": platform.release(),
            "postgres": psql(PG_ADMIN, "SHOW server_version"),
            "wrk": (subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines() or [""])[0],
            "pgbench": sh(["pgbench", "--version"]).strip(),
            "commit": sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).strip()}


def loadavg():
    """The 1-minute load average after a point: well above what the point itself puts on the
    machine, it says another process (a compiler) took CPU during it."""
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def at(points, c):
    return next((p for p in points if p["concurrency"] == c), None)


def verdicts(res):
    v = []
    pg = res["backends"].get("postgres", {}).get("scenarios", {})
    lite = res["backends"].get("sqlite", {}).get("scenarios", {})
    for b, sc in (("postgres", pg), ("sqlite", lite)):
        if "ban" in sc and "ban_webhook" in sc:
            plain, hooked = at(sc["ban"]["points"], 32), at(sc["ban_webhook"]["points"], 32)
            ratio = hooked["rps"] / plain["rps"]
            v.append((f"{b} c=32: a ban with one webhook endpoint ≥ 85% of a ban without",
                      f"{ratio:.0%} ({hooked['rps']:.0f} vs {plain['rps']:.0f}/s)", ratio >= 0.85))
    for key, lim in [("create", "create_pgbench"), ("ban", "ban_pgbench"), ("deactivate", "ban_pgbench"),
                     ("patch", "patch_pgbench")]:
        if key in pg and lim in pg:
            r, l = at(pg[key]["points"], 32), at(pg[lim]["points"], 32)
            ratio = r["rps"] / l["tps"]
            v.append((f"Postgres c=32 {key}: ≥ 50% of pgbench", f"{ratio:.0%} ({r['rps']:.0f} vs {l['tps']:.0f}/s)", ratio >= 0.5))
            v.append((f"Postgres c=32 {key}: p99 < 25 ms", f"{r['p99_ms']:.1f} ms", r["p99_ms"] < 25))
            v.append((f"Postgres c=32 {key}: 0 errors", str(r["errors"]), r["errors"] == 0))
    if lite:
        locked = res["backends"]["sqlite"].get("database_is_locked_log_lines", 0)
        errs = sum(p["errors"] for s in lite.values() for p in s.get("points", []))
        v.append(("SQLite: zero `database is locked` at any concurrency", f"{locked} log lines", locked == 0))
        v.append(("SQLite: zero errors at any concurrency", f"{errs} non-2xx/socket errors over all SQLite points", errs == 0))
        best = max(p["rps"] for k in ("ban", "deactivate") if k in lite for p in lite[k]["points"])
        v.append(("SQLite: ≥ 1,000 status changes/s", f"best {best:.0f}/s", best >= 1000))
    hr = res.get("hashrate", {}).get("per_second")
    for b, sc in (("postgres", pg), ("sqlite", lite)):
        here = sc.get("login_hashrate", {}).get("per_second") or hr
        if "login" in sc and here:
            best = max(p["rps"] for p in sc["login"]["points"])
            ceiling = here * res["machine"]["cores"]
            v.append((f"{b}: login ≥ 85% of hash rate × cores", f"{best / ceiling:.0%} ({best:.1f}/s vs {ceiling:.1f}/s)", best >= 0.85 * ceiling))
        if "relinquish" in sc:
            r = sc["relinquish"]
            v.append((f"{b}: relinquish over 1,000 rooms < 200 ms", f"p50 {r['p50_ms']:.0f} ms, max {r['max_ms']:.0f} ms", r["max_ms"] < 200))
    imp = res.get("import")
    if imp:
        for b, floor in (("postgres", 20000), ("sqlite", 5000)):
            for via in ("cli", "api"):
                if via in imp.get(b, {}):
                    rate = imp[b][via]["per_second"]
                    limit = f" (COPY: {imp[b]['copy']['per_second']:,.0f}/s)" if "copy" in imp[b] else ""
                    v.append((f"{b}: import of {imp['users']:,} users by the {via} ≥ {floor:,}/s",
                              f"{rate:,.0f}/s{limit}", rate >= floor))
    sc = res.get("scaling")
    if sc and len(sc["points"]) >= 2:
        first, last = sc["points"][0], sc["points"][-1]
        for key in [k for k in ("list_first", "list_deep", "get", "scim_username", "console_list", "console_deep")
                    if k in first and k in last]:
            ratio = last[key]["p50_ms"] / first[key]["p50_ms"]
            v.append((f"scaling {key}: p50 at {last['users']:,} ≤ 1.5× p50 at {first['users']:,}",
                      f"{ratio:.2f}× ({first[key]['p50_ms']:.2f} → {last[key]['p50_ms']:.2f} ms)", ratio <= 1.5))
        if "scim_username" in last and "get" in last:
            ratio = last["scim_username"]["p50_ms"] / last["get"]["p50_ms"]
            v.append((f"scaling: SCIM userName eq p50 at {last['users']:,} ≤ 1.5× the native get's",
                      f"{ratio:.2f}× ({last['get']['p50_ms']:.2f} → {last['scim_username']['p50_ms']:.2f} ms)", ratio <= 1.5))
    if sc and sc["points"] and "console_list" in sc["points"][-1]:
        last = sc["points"][-1]
        for key in ("console_list", "console_deep"):
            v.append((f"console {key}: p50 < 50 ms at {last['users']:,} users", f"{last[key]['p50_ms']:.2f} ms",
                      last[key]["p50_ms"] < 50))
    for b in ("postgres", "sqlite"):
        if b in res["backends"]:
            kib = res["backends"][b].get("peak_rss_kib") or 0
            v.append((f"{b}: peak RSS < 64 MB", f"{kib / 1024:.1f} MiB", kib < 64 * 1024))
    return v


def table(res):
    lines = []
    for b, data in res["backends"].items():
        lines.append(f"\n### {b}\n")
        lines.append(f"Peak RSS (VmHWM at the end of the {b} run): **{(data.get('peak_rss_kib') or 0) / 1024:.1f} MiB**. "
                     f"`database is locked` lines in roster's log: {data.get('database_is_locked_log_lines', 0)}; "
                     f"ERROR lines: {data.get('error_log_lines', 0)}.\n")
        if data.get("write_path_broken_after"):
            lines.append("**Every write answered 500 after these points, until roster was restarted on the same database: "
                         + ", ".join(f"{w['after']} ({w['status']})" for w in data["write_path_broken_after"])
                         + f"** ({data.get('restarts', 0)} restarts; see the notes).\n")
        lines.append("| scenario | c | req/s | p50 ms | p99 ms | errors | vs pgbench | load 1m |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        sc = data["scenarios"]
        limits = {"create": "create_pgbench", "ban": "ban_pgbench", "deactivate": "ban_pgbench", "patch": "patch_pgbench"}
        for key, s in sc.items():
            if "points" not in s:
                continue
            for p in s["points"]:
                if p["tool"] == "pgbench":
                    lines.append(f"| {s['label']} | {p['concurrency']} | {p['tps']:.0f} tx/s | {p['p50_ms']:.2f} | {p['p99_ms']:.2f} | {p['failed']} | — | {p.get('loadavg_1m', '')} |")
                    continue
                ratio = "—"
                if key in limits and limits[key] in sc:
                    l = at(sc[limits[key]]["points"], p["concurrency"])
                    ratio = f"{p['rps'] / l['tps']:.0%}"
                note = " (pool reused)" if p.get("distinct_users_exhausted") else ""
                lines.append(f"| {s['label']}{note} | {p['concurrency']} | {p['rps']:.1f} | {p['p50_ms']:.2f} | {p['p99_ms']:.2f} | {p['errors']} | {ratio} | {p.get('loadavg_1m', '')} |")
        if "relinquish" in sc:
            r = sc["relinquish"]
            lines.append(f"| {r['label']} | 1 | — | {r['p50_ms']:.1f} | max {r['max_ms']:.1f} | {r['errors']} | — | |")
    if res.get("scaling"):
        lines.append("\n### Scaling (Postgres, wrk at 8 connections)\n")
        cols = [k for k in ("list_first", "list_deep", "get", "scim_username", "console_list", "console_deep")
                if k in res["scaling"]["points"][0]]
        names = {"list_first": "list first", "list_deep": "list deep", "get": "get",
                 "scim_username": "SCIM userName eq", "console_list": "console list", "console_deep": "console deep"}
        lines.append("| users | " + " | ".join(f"{names[k]} p50 / p99 ms" for k in cols) + " | errors |")
        lines.append("|---:|" + "---:|" * len(cols) + "---:|")
        for p in res["scaling"]["points"]:
            e = sum(p[k]["errors"] for k in cols)
            lines.append(f"| {p['users']:,} | " + " | ".join(f"{p[k]['p50_ms']:.2f} / {p[k]['p99_ms']:.2f}" for k in cols)
                         + f" | {e} |")
        lines.append("\n![latency against users](bench/results/scaling.png)\n")
    return "\n".join(lines)


def write_report(res):
    path = os.path.join(ROOT, "BENCHMARKS.md")
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n\n<!-- bench:start -->\n<!-- bench:end -->\n"
    m = res["machine"]
    hr = res.get("hashrate", {})
    body = [f"Run {res['started']} ({'QUICK smoke run: short points, small pools — not the real figures' if res['quick'] else 'full run'}), "
            f"commit `{m['commit']}`, by `bench/run{' --quick' if res['quick'] else ''}`.\n",
            f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']} RAM, Linux {m['kernel']}; PostgreSQL {m['postgres']}; "
            f"{m['wrk']}; {m['pgbench']}. Client (wrk/pgbench), roster and the database share the {m['cores']} cores.\n",
            f"argon2id single-core rate (roster's parameters, {hr.get('params')}, the `argon2` crate roster uses): "
            f"**{hr.get('per_second', 0):.1f} verifies/s** → hashing limit {hr.get('per_second', 0) * m['cores']:.1f} logins/s on {m['cores']} cores"
            + "".join(f"; measured again just before {b}'s login points: {d['scenarios']['login_hashrate']['per_second']:.1f}/s"
                      for b, d in res["backends"].items() if "login_hashrate" in d.get("scenarios", {}))
            + " (the login verdicts use the rate measured beside them).\n",
            (f"SQLite's own one-writer limit with roster's settings (WAL, synchronous=FULL; a one-row UPDATE "
             f"transaction per commit, no HTTP): **{res['sqlite_commit_rate']['per_second']:.0f} commits/s**.\n"
             if res.get("sqlite_commit_rate") else ""),
            "#### Targets\n", "| target | measured | |", "|---|---|---|"]
    for name, val, ok in verdicts(res):
        body.append(f"| {name} | {val} | {'pass' if ok else '**FAIL**'} |")
    body.append(table(res))
    block = "\n".join(body)
    text = re.sub(r"<!-- bench:start -->.*<!-- bench:end -->",
                  lambda _: "<!-- bench:start -->\n" + block + "\n<!-- bench:end -->", text, flags=re.S)
    open(path, "w").write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="a short smoke run (2 s points, small pools)")
    ap.add_argument("--only", choices=["postgres", "sqlite", "scaling", "webhooks", "import", "console"], action="append",
                    help="webhooks: on both backends, only the ban without and with a subscribed webhook; "
                         "console: only the console's list pages as the tenant grows (Postgres)")
    ap.add_argument("--scale", type=int, action="append",
                    help="tenant sizes of the scaling points (default 10,000, 100,000 and 1,000,000; --quick: to 100,000)")
    ap.add_argument("--no-report", action="store_true", help="write results/ only, leave BENCHMARKS.md alone")
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite BENCHMARKS.md's table from bench/results/latest.json; run nothing")
    a = ap.parse_args()
    if a.report_only:
        with open(os.path.join(RESULTS, "latest.json")) as f:
            write_report(json.load(f))
        return
    if a.quick:
        cfg = dict(duration=2, slow_duration=2, per_thread=8000, pool=2000, relinquish_runs=2,
                   scale_sizes=[10_000, 100_000], scale_duration=2, import_users=10_000)
    else:
        cfg = dict(duration=10, slow_duration=6, per_thread=30000, pool=10000, relinquish_runs=5,
                   scale_sizes=[10_000, 100_000, 1_000_000], scale_duration=6, import_users=100_000)
    if a.scale:
        cfg["scale_sizes"] = sorted(a.scale)
    only = a.only or ["postgres", "sqlite", "scaling"]
    res = {"started": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"), "quick": a.quick, "config": cfg,
           "machine": machine(), "backends": {}}
    login_hash = None
    if only not in (["import"], ["console"]):
        res["hashrate"], login_hash = hashrate(2 if a.quick else 5)
        log("argon2id", res["hashrate"])
    workdir = tempfile.mkdtemp(prefix="roster-bench-")
    try:
        port = 18000 + os.getpid() % 1000
        if only == ["webhooks"]:
            for b in ("postgres", "sqlite"):
                res["backends"][b] = run_backend(b, cfg, workdir, port, login_hash, only_webhooks=True)
                port += 1
            only = []
        if "sqlite" in only:
            res["sqlite_commit_rate"] = sqlite_commit_rate(workdir, 2 if a.quick else 5)
            log("sqlite commit rate", res["sqlite_commit_rate"])
        for b in ("postgres", "sqlite"):
            if b in only:
                res["backends"][b] = run_backend(b, cfg, workdir, port, login_hash)
                port += 1
        if "import" in only:
            res["import"] = run_import(cfg, workdir, port)
            port += 4
            only = [o for o in only if o != "import"]
        if "scaling" in only:
            res["scaling"] = run_scaling(cfg, workdir, port)
            plot(res["scaling"], os.path.join(RESULTS, "scaling.png"))
        elif "console" in only:
            res["scaling"] = run_scaling(cfg, workdir, port, console_only=True)
    finally:
        keep = os.environ.get("BENCH_KEEP_LOGS")
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log("logs kept in", workdir)
    res["verdicts"] = [{"target": n, "measured": v, "pass": ok} for n, v, ok in verdicts(res)]
    os.makedirs(RESULTS, exist_ok=True)
    # A webhook-only, import-only, console-only or scaling-only run is a side measurement: it
    # leaves the full run's results (and BENCHMARKS.md's table) alone.
    side = {("webhooks",): "webhooks.json", ("import",): "import.json", ("scaling",): "scaling.json",
            ("console",): "console.json"}
    name = side.get(tuple(a.only or ()), "latest.json")
    with open(os.path.join(RESULTS, name), "w") as f:
        json.dump(res, f, indent=1)
    if not a.no_report and name == "latest.json":
        write_report(res)
    for n, v, ok in verdicts(res):
        print(f"{'PASS' if ok else 'FAIL'}  {n}: {v}")


if __name__ == "__main__":
    main()
