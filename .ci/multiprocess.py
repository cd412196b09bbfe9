"""Several roster processes on one Postgres behind one address keep every promise of shared
state, and survive one of them being killed with SIGKILL under write load.

Three `target/debug/roster serve` processes run on one fresh Postgres database, each with its
mail worker pointed at a real SMTP sink run here (aiosmtpd, pinned in .ci/run) and its webhook
worker at a receiver verifying every delivery (.ci/webhooks.py's). A round-robin TCP proxy
run here spreads the connections over the processes (one request per connection: urllib
closes it), marks a process down when it refuses a connection and tries the next; every
check goes through it unless it must name a process. The checks, each a PASS/FAIL line:

- rate-limit: Publica.la's per-key budget, spent through every process, is exceeded exactly
  once it is spent, and X-RateLimit-Remaining counts down without a repeat or a gap;
- idempotency: an Idempotency-Key replayed through another process (and sent to every
  process at once) gets the first answer, and creates one user;
- email-once: each invite reaches the SMTP sink exactly once though every process runs the
  mail worker; email-once-slow-smtp: the same through a relay that takes 1 s an email, more
  in all than the mail lease;
- webhook-once: each event reaches the receiver once, never in flight twice at once;
- sessions: a native session and a Rocket.Chat login opened on one process and ended on
  another (logout, deactivation), and an API key revoked on one, are refused by every process
  on the next call;
- co-owner-race: the two owners of a room deactivated at the same moment through two
  processes (Rocket.Chat users.setActiveStatus): one 200, one 400 user-last-owner, and the
  room keeps an active owner, over several rounds;
- kill-9: threads create invited users through the proxy, one process is SIGKILLed mid-run;
  every acknowledged (2xx) user is there afterwards, the others kept answering, and no email
  or webhook went out twice except a delivery the killed process had made and could not
  record (at least once, under the same Message-ID or webhook-id). Figures go to
  target/ci-multiprocess/killrun.json.

Postgres only: several processes on one SQLite file is not a supported deployment.
"""

import argparse
import asyncio
import email
import json
import secrets
import socket
import sys
import threading
import time
import traceback
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live import ROOT, Roster, call, database_url, free_port, log, request  # noqa: E402
from webhooks import Receiver, endpoint, expected_events, script, wait_for  # noqa: E402
from webhooks import check as check_deliveries  # noqa: E402

OUT = ROOT / "target" / "ci-multiprocess"
RATE_LIMIT = 40
PASSWORD = "a long password"

ENV = {
    "ROSTER_DB_MAX_CONNECTIONS": "8",
    "ROSTER_PUBLICA_RATE_LIMIT": str(RATE_LIMIT),
    "ROSTER_WEBHOOKS_ALLOW_PRIVATE": "true",
    "ROSTER_WORKER_TICK": "100ms",
    "ROSTER_WEBHOOK_TIMEOUT": "5s",
    "ROSTER_WORKER_LEASE": "10s",
    "ROSTER_WEBHOOK_RETRY_BASE": "200ms",
    "ROSTER_WEBHOOK_RETRY_CAP": "1s",
    "ROSTER_WEBHOOK_PAUSE_AFTER": "100000",
    "ROSTER_MAIL_POLL": "100ms",
    "ROSTER_MAIL_TIMEOUT": "3s",
    "ROSTER_MAIL_LEASE": "8s",
    "ROSTER_MAIL_RETRY_BASE": "200ms",
    "ROSTER_MAIL_RETRY_CAP": "1s",
}

# How long a key revoked on one process may still be accepted by another.
KEY_REVOCATION_BOUND = 5.0

# A duplicate after the kill is the killed process's delivery that it could not record; it
# must have first arrived shortly before the process died (the time to record an outcome, with
# room), and again after. SLACK covers the receiver's own clock reading of the first arrival.
DUPLICATE_WINDOW = 10.0
SLACK = 0.5


class Proxy:
    """Round robin over `ports`, one connection at a time. A refused connection marks its
    process down and goes to the next; a connection cut by a dying process is cut for the
    client too (its request is not answered)."""

    def __init__(self, ports):
        self.ports = list(ports)
        self.down = set()
        self.served = Counter()
        self.refused = 0
        self.lock = threading.Lock()
        self.turn = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(512)
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self.accept, daemon=True).start()

    def pick(self):
        with self.lock:
            for i in range(len(self.ports)):
                port = self.ports[(self.turn + i) % len(self.ports)]
                if port not in self.down:
                    self.turn = (self.turn + i + 1) % len(self.ports)
                    return port
        return None

    def accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(client,), daemon=True).start()

    def serve(self, client):
        upstream = None
        while upstream is None:
            port = self.pick()
            if port is None:
                client.close()
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", port), timeout=2)
            except OSError:
                with self.lock:
                    self.down.add(port)
                    self.refused += 1
        upstream.settimeout(None)
        with self.lock:
            self.served[port] += 1
        back = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
        back.start()
        pipe(client, upstream)
        back.join()
        upstream.close()
        client.close()

    def close(self):
        self.sock.close()


def pipe(src, dst):
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class Sink:
    """An SMTP server keeping every message: (Message-ID, recipients, arrival time). It takes
    `delay` seconds to accept each one (a slow relay)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        self.delay = 0.0
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                if sink.delay:
                    await asyncio.sleep(sink.delay)
                msg = email.message_from_bytes(envelope.content)
                with sink.lock:
                    sink.messages.append((msg["Message-ID"], list(envelope.rcpt_tos), time.time()))
                return "250 OK"

        port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)
        self.controller.start()
        self.url = f"smtp://127.0.0.1:{port}"

    def to(self, recipients):
        """recipient -> {Message-ID: [arrival times]} for the given recipients."""
        wanted = set(recipients)
        got = {r: {} for r in wanted}
        with self.lock:
            for mid, rcpts, at in self.messages:
                for r in rcpts:
                    if r in wanted:
                        got[r].setdefault(mid, []).append(at)
        return got

    def stop(self):
        self.controller.stop()


class Cluster:
    """`n` roster processes on one fresh Postgres database behind a Proxy, mailing to a Sink."""

    def __init__(self, n):
        self.sink = Sink()
        self.operator = secrets.token_urlsafe(24)
        url = database_url("postgres", "roster_multiprocess", OUT)
        env = dict(ENV, SMTP_URL=self.sink.url, ROSTER_OPERATOR_TOKEN=self.operator)
        self.procs = []
        try:
            for _ in range(n):  # one after the other: the first one migrates
                self.procs.append(Roster(url, OUT, env=env))
        except BaseException:
            for r in self.procs:
                r.stop()
            self.sink.stop()
            raise
        self.proxy = Proxy([r.port for r in self.procs])
        self.base = self.proxy.base

    def tenant(self, slug):
        """A new tenant: (its answer, with api_key; the Authorization header of its key)."""
        op = {"Authorization": f"Bearer {self.operator}"}
        _, t = call(self.base, "POST", "/v1/tenants", {"slug": slug, "name": slug}, op)
        return t, {"Authorization": f"Bearer {t['api_key']}"}

    def stop(self):
        for r in self.procs:
            if r.proc.poll() is None:
                r.stop()
            elif not r.log.closed:
                r.log.close()
        self.proxy.close()
        self.sink.stop()


def person(base, key, email_address, roles=()):
    _, u = call(base, "POST", "/v1/users",
                {"email": email_address, "status": "active", "password": PASSWORD, "roles": list(roles)},
                key)
    return u["id"]


def all_users(base, key):
    users, cursor = [], None
    while True:
        path = "/v1/users?limit=200" + (f"&cursor={cursor}" if cursor else "")
        _, page = call(base, "GET", path, None, key)
        users += page["data"]
        cursor = page.get("next_cursor")
        if not cursor:
            return users


def at_once(calls):
    """Runs the zero-argument `calls` in threads released together; answers their results in
    order (an exception raised by one is its result)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, f):
        barrier.wait()
        try:
            results[i] = f()
        except BaseException as e:  # noqa: BLE001 - the caller judges it (call's SystemExit too)
            results[i] = e

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def rate_limit(cl):
    """Publica.la's budget spent through every process."""
    for attempt in range(3):
        t, _ = cl.tenant(f"rate-{attempt}")
        token = {"X-User-Token": t["api_key"]}
        before = dict(cl.proxy.served)
        started = time.time()
        calls = RATE_LIMIT + 20
        answers = []
        lock = threading.Lock()

        def spend(n):
            for _ in range(n):
                a = request(cl.base, "GET", "/integration-api/v1/dashboard/users", None, token)
                with lock:
                    answers.append(a)

        at_once([lambda: spend(calls // 6)] * 5 + [lambda: spend(calls - 5 * (calls // 6))])
        if int(started) // 60 != int(time.time()) // 60:
            continue  # the run straddled two windows: count again with a fresh key
        statuses = Counter(s for s, _, _ in answers)
        assert statuses == Counter({200: RATE_LIMIT, 429: calls - RATE_LIMIT}), statuses
        remaining = sorted(int(h["X-RateLimit-Remaining"]) for s, h, _ in answers if s == 200)
        assert remaining == list(range(RATE_LIMIT)), f"X-RateLimit-Remaining of the 200s: {remaining}"
        for s, h, b in answers:
            assert h["X-RateLimit-Limit"] == str(RATE_LIMIT), dict(h)
            if s == 429:
                assert h["X-RateLimit-Remaining"] == "0" and int(h["Retry-After"]) >= 1, dict(h)
                assert b == {"message": "Too Many Attempts."}, b
        resets = {h["X-RateLimit-Reset"] for s, h, _ in answers if "X-RateLimit-Reset" in h}
        assert len(resets) == 1, f"one window, one reset time: {resets}"
        spread = {p: cl.proxy.served[p] - before.get(p, 0) for p in cl.proxy.ports}
        assert all(spread.values()), f"every process took calls: {spread}"
        return (f"{calls} calls over {len(spread)} processes {sorted(spread.values())}: "
                f"{RATE_LIMIT} answered with remaining {RATE_LIMIT - 1}..0 once each, "
                f"{calls - RATE_LIMIT} refused 429")
    raise AssertionError("every attempt straddled a minute")


def idempotency(cl):
    """A key replayed through another process, and one sent to every process at once."""
    _, key = cl.tenant("idem")
    p = cl.procs
    first = {"Idempotency-Key": "multi-first", **key}
    s1, _, b1 = request(p[0].base, "POST", "/v1/users", {"email": "idem@example.com"}, first)
    s2, h2, b2 = request(p[1].base, "POST", "/v1/users", {"email": "idem@example.com"}, first)
    assert (s1, s2) == (201, 201), (s1, b1, s2, b2)
    assert b2 == b1 and h2["idempotent-replayed"] == "true", (b1, b2, dict(h2))

    racing = {"Idempotency-Key": "multi-race", **key}
    answers = at_once([
        (lambda base=r.base: request(base, "POST", "/v1/users", {"email": "race@example.com"}, racing))
        for r in p
    ])
    for a in answers:
        assert not isinstance(a, Exception), a
    statuses = Counter(s for s, _, _ in answers)
    assert set(statuses) <= {201, 409} and statuses[201] >= 1, answers
    for s, _, b in answers:
        if s == 409:
            assert b["type"] == "urn:roster:problem:idempotency-in-progress", b
    ids = {b["id"] for s, _, b in answers if s == 201}
    s3, h3, b3 = request(cl.base, "POST", "/v1/users", {"email": "race@example.com"}, racing)
    assert s3 == 201 and h3["idempotent-replayed"] == "true" and ids == {b3["id"]}, (ids, s3, b3)
    emails = Counter(u["email"] for u in all_users(cl.base, key))
    assert emails == Counter({"idem@example.com": 1, "race@example.com": 1}), emails
    return (f"replayed through a second process; sent to {len(p)} processes at once: "
            f"{dict(statuses)}, one user each")


def settle(ready, timeout, quiet=1.5):
    """Waits until `ready()` holds, then `quiet` seconds more for anything sent twice."""
    deadline = time.time() + timeout
    while not ready():
        if time.time() > deadline:
            return False
        time.sleep(0.1)
    time.sleep(quiet)
    return True


def invitee(base, key, address):
    """A user created with an invite, as a client would: a 503 (the database busy, as a burst
    on a loaded machine can make it) is tried again after its Retry-After."""
    for _ in range(5):
        s, h, b = request(base, "POST", "/v1/users", {"email": address, "send_invite": True}, key)
        if s != 503:
            break
        time.sleep(int(h.get("Retry-After", "1")))
    assert s == 201, (s, b)
    return b


def email_once(cl, slug="mail", n=8, delay=0.0):
    """Invites sent by whichever process: one email each."""
    _, key = cl.tenant(slug)
    users = {}
    cl.sink.delay = delay
    try:
        # All at once, so that one worker's poll finds them all queued.
        for a in at_once([(lambda i=i: invitee(cl.base, key, f"{slug}{i}@example.com")) for i in range(n)]):
            if isinstance(a, BaseException):
                raise AssertionError(f"creating an invitee failed: {a}")
            users[a["id"]] = a["email"]
        settle(lambda: all(cl.sink.to(users.values()).values()), 60, quiet=1.5 + delay)
    finally:
        cl.sink.delay = 0.0
    got = cl.sink.to(users.values())
    counts = {r: sum(len(t) for t in mids.values()) for r, mids in got.items()}
    assert all(n == 1 for n in counts.values()), f"emails per recipient: {counts}"
    for uid in users:
        _, page = call(cl.base, "GET", f"/v1/emails?user={uid}", None, key)
        [e] = page["data"]
        assert e["status"] == "sent" and e["attempts"] == 1, e
    return f"{len(users)} invites, each delivered once, recorded sent after one attempt"


def email_once_slow(cl):
    """Invites through a relay that takes a second an email: 30 s of sending, 10 s a process,
    more than the mail lease (8 s here). Each must still go out once (they went out twice
    when a worker claimed up to twenty at once and its lease ran out while it sent them)."""
    return email_once(cl, "mail-slow", 30, 1.0) + " (1 s an email)"


def webhook_once(cl):
    """A burst of changes through every process: each event delivered once, one at a time."""
    receiver = Receiver(hold=0.05)
    receiver.up()
    try:
        _, key = cl.tenant("hooks")
        endpoint(cl, key, receiver)
        users = []
        at_once([(lambda prefix=f"h{i}-": users.extend(script(cl.base, key, prefix, 4))) for i in range(3)])
        events = expected_events(cl.base, key, users)
        wait_for(receiver, events, timeout=60)
        time.sleep(1.5)
        dups = check_deliveries(receiver, events)
        assert not receiver.overlaps, f"in flight twice at once: {receiver.overlaps[:5]}"
        assert dups == 0, f"{dups} events delivered twice with no process dying"
        return f"{len(events)} events, each delivered once, never two in flight"
    finally:
        receiver.down()


def sessions(cl):
    """Opened on one process, ended on another, refused by all on the next call."""
    t, key = cl.tenant("sess")
    p = cl.procs
    op = {"Authorization": f"Bearer {cl.operator}"}
    uid = person(cl.base, key, "sam@example.com")

    def everywhere(method, path, headers, want):
        got = [request(r.base, method, path, None, headers)[0] for r in p]
        assert got == [want] * len(p), f"{method} {path}: {got}, want {want} from every process"

    s, _, b = request(p[0].base, "POST", "/v1/sessions", {"email": "sam@example.com", "password": PASSWORD}, key)
    assert s in (200, 201), (s, b)
    bearer = {"Authorization": f"Bearer {b['token']}"}
    everywhere("GET", "/v1/sessions/current", bearer, 200)
    _, out = call(p[1].base, "POST", f"/v1/users/{uid}/logout", {"reason": "multi"}, key)
    assert out == {"sessions_revoked": 1}, out
    everywhere("GET", "/v1/sessions/current", bearer, 401)

    s, _, b = request(p[1].base, "POST", f"/t/{t['slug']}/api/v1/login",
                      {"user": "sam@example.com", "password": PASSWORD})
    assert s == 200, (s, b)
    rc = {"X-User-Id": b["data"]["userId"], "X-Auth-Token": b["data"]["authToken"]}
    everywhere("GET", "/api/v1/me", rc, 200)
    call(p[-1].base, "POST", f"/v1/users/{uid}/deactivate", {"reason": "multi"}, key)
    everywhere("GET", "/api/v1/me", rc, 401)

    _, k = call(p[0].base, "POST", f"/v1/tenants/{t['id']}/api-keys", None, op)
    second = {"Authorization": f"Bearer {k['api_key']}"}
    everywhere("GET", "/v1/users?limit=1", second, 200)
    call(p[1].base, "DELETE", f"/v1/api-keys/{k['id']}", None, op)
    # A process may cache a key for a bounded time; polled up to that bound, and timed.
    revoked = time.time()
    while True:
        got = [request(r.base, "GET", "/v1/users?limit=1", None, second)[0] for r in p]
        if got == [401] * len(p):
            break
        assert time.time() - revoked < KEY_REVOCATION_BOUND, f"a revoked key still answered: {got}"
        time.sleep(0.05)
    return ("native session logged out and Rocket.Chat login deactivated on another process: "
            f"refused by all {len(p)} at once; a key revoked on another: refused by all after "
            f"{(time.time() - revoked) * 1000:.0f} ms")


def co_owner_race(cl, rounds=6):
    """Both owners of a room deactivated at once through two processes."""
    t, key = cl.tenant("race")
    person(cl.base, key, "boss@example.com", ["admin"])
    _, b = call(cl.base, "POST", f"/t/{t['slug']}/api/v1/login", {"user": "boss@example.com", "password": PASSWORD})
    admin = {"X-User-Id": b["data"]["userId"], "X-Auth-Token": b["data"]["authToken"]}
    p = cl.procs
    for n in range(rounds):
        owners = [person(cl.base, key, f"{who}{n}@example.com") for who in "ab"]
        _, room = call(cl.base, "POST", "/v1/rooms", {"name": f"shared-{n}", "type": "channel"}, key)
        for u in owners:
            call(cl.base, "POST", f"/v1/rooms/{room['id']}/members", {"user_id": u, "role": "owner"}, key)
        pair = [p[n % len(p)], p[(n + 1) % len(p)]]
        answers = at_once([
            (lambda base=r.base, u=u: request(base, "POST", "/api/v1/users.setActiveStatus",
                                              {"activeStatus": False, "userId": u, "confirmRelinquish": False},
                                              admin))
            for r, u in zip(pair, owners)
        ])
        for a in answers:
            assert not isinstance(a, Exception), a
        assert sorted(s for s, _, _ in answers) == [200, 400], f"round {n}: {answers}"
        refused = [b["errorType"] for s, _, b in answers if s == 400]
        assert refused == ["user-last-owner"], f"round {n}: {answers}"
        _, r = call(cl.base, "GET", f"/v1/rooms/{room['id']}", None, key)
        active = 0
        for m in r["members"]:
            if m["role"] == "owner":
                _, u = call(cl.base, "GET", f"/v1/users/{m['user_id']}", None, key)
                active += u["status"] == "active"
        assert active == 1, f"round {n}: {active} active owners left"
    return f"{rounds} rounds over process pairs: one 200, one 400 user-last-owner, an active owner kept"


def unexplained(arrivals, killed_at, dead_at):
    """The ids delivered more than once other than a delivery made until the process died
    (SIGKILL sent at `killed_at`, reaped at `dead_at`) and sent again once its lease ran out:
    what the killed process sent and could not record."""
    bad = {}
    for wid, times in arrivals.items():
        times = sorted(times)
        if len(times) == 1:
            continue
        first, again = times[0], times[1]
        if len(times) == 2 and killed_at - DUPLICATE_WINDOW <= first <= dead_at + SLACK < again:
            continue
        bad[wid] = [round(x - killed_at, 3) for x in times]
    return bad


def feed(base, key):
    """Every event of the tenant's feed, by id."""
    events, after = {}, None
    while True:
        _, page = call(base, "GET", "/v1/events?limit=200" + (f"&after={after}" if after else ""), None, key)
        if not page["data"]:
            return events
        for e in page["data"]:
            events[e["id"]] = e
        after = page["next_cursor"]


def kill_run(cl, threads=4, before=4.0, after=6.0):
    """SIGKILL one process under write load."""
    receiver = Receiver()
    receiver.up()
    try:
        _, key = cl.tenant("load")
        endpoint(cl, key, receiver)
        acked = {}
        attempts = []  # (started, ended, outcome): "ok", an HTTP status, or the error
        lock = threading.Lock()
        stop = threading.Event()

        def load(t):
            i = 0
            while not stop.is_set():
                addr = f"load{t}-{i}@example.com"
                i += 1
                started = time.time()
                try:
                    s, _, b = request(cl.base, "POST", "/v1/users", {"email": addr, "send_invite": True}, key, timeout=15)
                    outcome = "ok" if s == 201 else s
                except OSError as e:
                    outcome, s = type(e).__name__, None
                with lock:
                    attempts.append((started, time.time(), outcome))
                    if s == 201:
                        acked[b["id"]] = addr

        served_before = dict(cl.proxy.served)
        workers = [threading.Thread(target=load, args=(t,)) for t in range(threads)]
        for w in workers:
            w.start()
        time.sleep(before)
        victim = cl.procs[-1]
        killed_at = time.time()
        victim.proc.kill()
        victim.proc.wait()
        dead_at = time.time()
        time.sleep(after)
        stop.set()
        for w in workers:
            w.join()
        per_process = [cl.proxy.served[r.port] - served_before.get(r.port, 0) for r in cl.procs]
        survivors_alive = all(r.proc.poll() is None for r in cl.procs[:-1])

        # Recovery: the first success of a request sent after the SIGKILL; the stall: the
        # longest time without a success from a second before the kill to the end of the load.
        oks = sorted(a[1] for a in attempts if a[2] == "ok")
        after_kill = [a for a in attempts if a[0] >= killed_at and a[2] == "ok"]
        recovered_at = min((a[1] for a in after_kill), default=None)
        around = [t for t in oks if t >= killed_at - 1.0]
        longest_gap = max((b - a for a, b in zip(around, around[1:])), default=None)
        failures = Counter(str(a[2]) for a in attempts if a[2] != "ok")

        listed = {u["id"]: u for u in all_users(cl.base, key)}
        lost = sorted(set(acked) - set(listed))
        wrong = [i for i in acked if i in listed and listed[i]["email"] != acked[i]]
        invited = {u["email"] for u in listed.values()}

        mail_ok = settle(lambda: all(cl.sink.to(invited).values()), 60)
        mail = cl.sink.to(invited)
        never_mailed = sorted(r for r, mids in mail.items() if not mids)
        several_ids = sorted(r for r, mids in mail.items() if len(mids) > 1)
        by_mid = {mid: times for mids in mail.values() for mid, times in mids.items()}
        mail_dups = sum(len(t) - 1 for t in by_mid.values())
        mail_bad = unexplained(by_mid, killed_at, dead_at)

        events = feed(cl.base, key)
        wait_for(receiver, events, timeout=60)
        time.sleep(1.5)
        hook_dups = check_deliveries(receiver, events)
        with receiver.lock:
            hook_bad = unexplained(dict(receiver.arrived_at), killed_at, dead_at)

        figures = {
            "processes": len(cl.procs),
            "writer_threads": threads,
            "seconds_before_kill": before,
            "seconds_after_kill": after,
            "requests": len(attempts),
            "acknowledged_writes": len(acked),
            "acknowledged_after_kill": len(after_kill),
            "lost": len(lost),
            "failed_requests": sum(failures.values()),
            "failures": dict(failures),
            "time_to_recover_ms": None if recovered_at is None else round((recovered_at - killed_at) * 1000, 1),
            "longest_time_without_an_answer_ms": None if longest_gap is None else round(longest_gap * 1000, 1),
            "connections_refused_by_killed_process": cl.proxy.refused,
            "requests_per_process": per_process,
            "users_in_database": len(listed),
            "committed_but_not_acknowledged": len(set(listed) - set(acked)),
            "emails_expected": len(invited),
            "emails_delivered": sum(len(t) for t in by_mid.values()),
            "emails_duplicated_after_kill": mail_dups,
            "events": len(events),
            "webhooks_delivered": len(receiver.received()),
            "webhooks_duplicated_after_kill": hook_dups,
            "webhooks_in_flight_twice": len(receiver.overlaps),
        }
        (OUT / "killrun.json").write_text(json.dumps(figures, indent=2) + "\n")
        for k, v in figures.items():
            print(f"    {k}: {v}")

        assert survivors_alive, "a surviving process exited"
        assert not lost, f"{len(lost)} acknowledged writes lost: {lost[:5]}"
        assert not wrong, f"acknowledged users with another email: {wrong[:5]}"
        assert recovered_at is not None, "no successful answer after the kill"
        assert failures.keys() <= {"RemoteDisconnected", "ConnectionResetError", "BadStatusLine"}, failures
        assert sum(failures.values()) <= threads, f"more failures than requests in flight: {failures}"
        assert mail_ok and not never_mailed, f"{len(never_mailed)} invited users got no email"
        assert not several_ids, f"users with several invite emails: {several_ids[:5]}"
        assert not mail_bad, f"emails sent twice, not by the killed process: {mail_bad}"
        assert not hook_bad, f"webhooks sent twice, not by the killed process: {hook_bad}"
        assert not receiver.overlaps, f"in flight twice at once: {receiver.overlaps[:5]}"
        return (f"{len(acked)} acknowledged writes, 0 lost, {sum(failures.values())} failed in flight, "
                f"next answer {figures['time_to_recover_ms']} ms after the kill; "
                f"{len(invited)} emails and {len(events)} webhooks, "
                f"{mail_dups + hook_dups} sent again after the kill")
    finally:
        receiver.down()


CHECKS = [
    ("rate-limit", rate_limit),
    ("idempotency", idempotency),
    ("email-once", email_once),
    ("email-once-slow-smtp", email_once_slow),
    ("webhook-once", webhook_once),
    ("sessions", sessions),
    ("co-owner-race", co_owner_race),
    ("kill-9", kill_run),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=3, choices=[2, 3])
    parser.add_argument("--only", action="append", help="run only the named checks (kill-9 runs last)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.time()
    log(f"multiprocess: {args.processes} roster processes on one Postgres behind a round-robin proxy")
    cl = Cluster(args.processes)
    results = []
    try:
        for name, check in CHECKS:
            if args.only and name not in args.only:
                continue
            log(name)
            t0 = time.time()
            try:
                detail = check(cl)
                results.append((name, True))
                print(f"PASS {name} ({time.time() - t0:.1f}s): {detail}", flush=True)
            except Exception as e:  # noqa: BLE001 - every check reports, then the run fails
                results.append((name, False))
                traceback.print_exc()
                print(f"FAIL {name} ({time.time() - t0:.1f}s): {e}", flush=True)
    finally:
        cl.stop()
    failed = [n for n, ok in results if not ok]
    log(f"multiprocess: {len(results) - len(failed)} of {len(results)} checks passed "
        f"in {time.time() - started:.0f}s" + (f"; failed: {', '.join(failed)}" if failed else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
