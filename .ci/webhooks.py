"""Roster's webhooks against a receiver that verifies every delivery with the Standard Webhooks
reference library for Python (PyPI `standardwebhooks`, pinned in .ci/run):

1. a scripted run: every event arrives, every signature verifies, each user's events arrive in
   order (SQLite and Postgres);
2. a receiver that is down for a while, then answers 500s, then recovers, with roster killed by
   SIGKILL once and restarted mid-run: every delivery arrives, duplicates only under the same
   `webhook-id` (SQLite and Postgres);
3. two roster processes on one Postgres deliver a burst, and no delivery is ever in flight twice
   at once (the receiver records overlapping in-flight webhook-ids).
"""

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from standardwebhooks.webhooks import Webhook

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live import Roster, call, database_url, free_port, log, ROOT  # noqa: E402

OUT = ROOT / "target" / "ci-webhooks"

# Fast retries, so the recovering receiver is reached within seconds; never paused here.
WORKER_ENV = {
    "ROSTER_WEBHOOKS_ALLOW_PRIVATE": "true",
    "ROSTER_WORKER_TICK": "100ms",
    "ROSTER_WEBHOOK_RETRY_BASE": "200ms",
    "ROSTER_WEBHOOK_RETRY_CAP": "1s",
    "ROSTER_WEBHOOK_PAUSE_AFTER": "100000",
    "ROSTER_WEBHOOK_TIMEOUT": "5s",
    "ROSTER_WORKER_LEASE": "10s",
}


class Receiver:
    """An http.server on a fixed port that can be taken down and brought back. `mode` is
    'ok' or '500'. Every request is verified; arrivals and overlapping in-flight ids are kept."""

    def __init__(self, secret=None, hold=0.0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.secret = secret
        self.hold = hold
        self.mode = "ok"
        self.lock = threading.Lock()
        self.arrivals = []  # (webhook-id, payload) of each verified request answered 2xx
        self.arrived_at = {}  # webhook-id -> the times it arrived (time.time())
        self.refused = 0
        self.bad = []  # requests that did not verify
        self.in_flight = set()
        self.overlaps = []
        self.server = None

    def up(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                wid = headers.get("webhook-id")
                with receiver.lock:
                    if wid in receiver.in_flight:
                        receiver.overlaps.append(wid)
                    receiver.in_flight.add(wid)
                try:
                    try:
                        payload = Webhook(receiver.secret).verify(body, headers)
                    except Exception as e:  # noqa: BLE001 - any failure to verify is recorded
                        with receiver.lock:
                            receiver.bad.append((wid, repr(e)))
                        self.send_response(400)
                        self.end_headers()
                        return
                    if receiver.hold:
                        time.sleep(receiver.hold)
                    if receiver.mode == "500":
                        with receiver.lock:
                            receiver.refused += 1
                        self.send_response(500)
                        self.end_headers()
                        return
                    with receiver.lock:
                        receiver.arrivals.append((wid, payload))
                        receiver.arrived_at.setdefault(wid, []).append(time.time())
                    self.send_response(204)
                    self.end_headers()
                finally:
                    with receiver.lock:
                        receiver.in_flight.discard(wid)

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def received(self):
        with self.lock:
            return list(self.arrivals)


def tenant(roster, slug):
    op = {"Authorization": f"Bearer {roster.operator}"}
    _, t = call(roster.base, "POST", "/v1/tenants", {"slug": slug, "name": slug}, op)
    return {"Authorization": f"Bearer {t['api_key']}"}


def endpoint(roster, key, receiver):
    _, e = call(roster.base, "POST", "/v1/webhooks", {"url": receiver.url, "event_types": ["*"]}, key)
    assert e["secret"].startswith("whsec_"), e
    receiver.secret = e["secret"]
    return e["id"]


def script(base, key, prefix, n):
    """Users with a few status changes each; answers their ids."""
    users = []
    for i in range(n):
        _, u = call(base, "POST", "/v1/users",
                    {"email": f"{prefix}{i}@example.com", "status": "active"}, key)
        users.append(u["id"])
    for u in users:
        for action in ["ban", "unban", "deactivate", "reactivate"]:
            call(base, "POST", f"/v1/users/{u}/{action}", {"reason": f"ci {action}"}, key)
    return users


def expected_events(base, key, users):
    """Every event about the users, from their timelines: what must arrive."""
    events = {}
    for u in users:
        cursor = None
        while True:
            path = f"/v1/users/{u}/events?limit=200" + (f"&cursor={cursor}" if cursor else "")
            _, page = call(base, "GET", path, None, key)
            for e in page["data"]:
                events[e["id"]] = e
            cursor = page.get("next_cursor")
            if not cursor:
                break
    return events


def wait_for(receiver, events, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = {p["data"]["id"] for _, p in receiver.received()}
        if set(events) <= got:
            return
        time.sleep(0.2)
    got = {p["data"]["id"] for _, p in receiver.received()}
    raise AssertionError(f"{len(set(events) - got)} of {len(events)} events never arrived")


def check(receiver, events):
    """Every event arrived, verified; duplicates only under one webhook-id; per user in order."""
    assert not receiver.bad, f"deliveries that did not verify: {receiver.bad[:3]}"
    ids_of_event = {}
    for wid, p in receiver.received():
        ids_of_event.setdefault(p["data"]["id"], set()).add(wid)
    missing = set(events) - set(ids_of_event)
    assert not missing, f"{len(missing)} events never arrived"
    split = {e: ids for e, ids in ids_of_event.items() if len(ids) > 1}
    assert not split, f"an event arrived under several webhook-ids: {list(split.items())[:3]}"
    last = {}
    seen = set()
    for wid, p in receiver.received():
        if wid in seen:
            continue  # a duplicate of an earlier arrival
        seen.add(wid)
        user, seq = p["data"]["user_id"], p["data"]["seq"]
        assert seq > last.get(user, 0), f"user {user}: seq {seq} after {last.get(user)}"
        last[user] = seq
    dups = len(receiver.received()) - len(seen)
    return dups


def scripted_run(backend):
    log(f"webhooks on {backend}: a scripted run arrives whole, signed and in order")
    receiver = Receiver()
    receiver.up()
    roster = Roster(database_url(backend, "roster_hooks_script", OUT), OUT, env=WORKER_ENV)
    try:
        key = tenant(roster, "hooks")
        endpoint(roster, key, receiver)
        users = script(roster.base, key, "s", 8)
        events = expected_events(roster.base, key, users)
        wait_for(receiver, events)
        dups = check(receiver, events)
        print(f"    {len(events)} events arrived and verified ({dups} duplicates)")
    finally:
        roster.stop()
        receiver.down()


def recovery_run(backend):
    log(f"webhooks on {backend}: receiver down, then 500s, then back; roster SIGKILLed once")
    receiver = Receiver()  # not up yet: connections are refused
    url = database_url(backend, "roster_hooks_recover", OUT)
    roster = Roster(url, OUT, env=WORKER_ENV)
    key = tenant(roster, "hooks")
    endpoint(roster, key, receiver)
    users = script(roster.base, key, "a", 5)
    time.sleep(1.5)  # a few failed attempts against the closed port
    roster.proc.kill()  # SIGKILL: leases held, nothing settled
    roster.proc.wait()
    roster.log.close()
    roster = Roster(url, OUT, env=WORKER_ENV)
    try:
        users += script(roster.base, key, "b", 5)
        receiver.mode = "500"
        receiver.up()
        time.sleep(2)
        assert receiver.refused > 0, "the receiver was never tried while answering 500"
        receiver.mode = "ok"
        events = expected_events(roster.base, key, users)
        wait_for(receiver, events)
        dups = check(receiver, events)
        print(f"    {len(events)} events arrived once each after {receiver.refused} 500s "
              f"({dups} duplicates, all under their own webhook-id)")
    finally:
        roster.stop()
        receiver.down()


def two_processes():
    log("webhooks on postgres: two roster processes deliver a burst, nothing in flight twice")
    receiver = Receiver(hold=0.05)
    receiver.up()
    url = database_url("postgres", "roster_hooks_pair", OUT)
    first = Roster(url, OUT, env=WORKER_ENV)
    second = Roster(url, OUT, env=WORKER_ENV)
    try:
        key = tenant(first, "hooks")
        endpoint(first, key, receiver)
        users = []
        threads = []
        for i, r in enumerate([first, second, first, second]):
            def run(base=r.base, prefix=f"p{i}-"):
                users.extend(script(base, key, prefix, 6))
            threads.append(threading.Thread(target=run))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        events = expected_events(first.base, key, users)
        wait_for(receiver, events)
        dups = check(receiver, events)
        assert not receiver.overlaps, f"in flight twice at once: {receiver.overlaps[:5]}"
        print(f"    {len(events)} events, never one in flight twice ({dups} duplicates)")
    finally:
        first.stop()
        second.stop()
        receiver.down()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    backends = args.backend or ["sqlite", "postgres"]
    for backend in backends:
        scripted_run(backend)
        recovery_run(backend)
    if "postgres" in backends:
        two_processes()
    log("webhooks: all checks passed")


if __name__ == "__main__":
    main()
