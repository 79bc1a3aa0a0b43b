"""Airtable pacing: the shared per-base window, the margin on every grant, and the
lockout after a 429 (checked while waiting, never restarted by a second 429)."""

import threading
import time
import uuid

import pytest

from prospecting.providers import airtable
from prospecting.providers.errors import ProviderRateLimited


class FakeClock:
    """time.time / monotonic / sleep for the limiter: sleeping moves the clock."""

    def __init__(self, now=1000.0):
        self.now = now

    def time(self):
        return self.now

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_a_slot_frees_a_second_and_the_margin_after_the_answer(app, monkeypatch):
    """Airtable counts a request when it arrives, which we only know happened by
    the time its answer is back: the sixth request goes one second and the margin
    after the answer to the first, however late that answer came."""
    clock = FakeClock()
    monkeypatch.setattr(airtable, "time", clock)
    base = "app" + uuid.uuid4().hex[:14]
    tickets = [airtable.acquire(base) for _ in range(5)]
    clock.now += 0.5  # a slow network, or a busy machine
    for ticket in tickets:
        airtable._answered(base, ticket)
    answered = clock.now
    clock.now += 0.7  # past a second and the margin from the grants
    airtable.acquire(base)
    assert clock.now >= answered + 1.0 + airtable.WINDOW_MARGIN - 1e-6
    # The margin is small enough to keep the ceiling above 0.9 of 5 requests/s.
    assert 1 / (1.0 + airtable.WINDOW_MARGIN) >= 0.95


def test_requests_still_in_flight_hold_their_slots(app, monkeypatch):
    app.config.update(PROVIDER_CONNECT_TIMEOUT=5, PROVIDER_READ_TIMEOUT=20)
    clock = FakeClock()
    monkeypatch.setattr(airtable, "time", clock)
    base = "app" + uuid.uuid4().hex[:14]
    tickets = [airtable.acquire(base) for _ in range(5)]
    clock.now += 3.0  # no answer yet: none of the five may have arrived
    with pytest.raises(ProviderRateLimited):
        airtable.acquire(base)
    airtable._answered(base, tickets[2])
    answered = clock.now
    airtable.acquire(base)
    assert clock.now >= answered + 1.0 + airtable.WINDOW_MARGIN - 1e-6


def test_a_worker_already_waiting_stops_when_the_base_is_locked(app):
    """A 429 seen by one worker stops another one that was waiting for a slot:
    it raises with the lockout's wait instead of sending into the lockout."""
    base = "app" + uuid.uuid4().hex[:14]
    for _ in range(5):
        airtable.acquire(base)
    outcome = []
    entered = threading.Event()

    def wait_for_slot():
        with app.app_context():
            entered.set()
            try:
                airtable.acquire(base)
                outcome.append("granted")
            except ProviderRateLimited as exc:
                outcome.append(exc.retry_after)

    thread = threading.Thread(target=wait_for_slot)
    thread.start()
    entered.wait(5)
    time.sleep(0.2)  # the thread is in its wait for the window
    airtable.lock(base)
    thread.join(10)
    assert outcome and outcome[0] != "granted"
    assert 0 < outcome[0] <= app.config["AIRTABLE_LOCKOUT_SECONDS"]


def test_a_second_429_does_not_restart_the_lockout(app):
    app.config["AIRTABLE_LOCKOUT_SECONDS"] = 2.0
    base = "app" + uuid.uuid4().hex[:14]
    airtable.lock(base)
    time.sleep(1.1)
    left = airtable.lock(base)  # a request sent before the first 429 also got one
    assert left < 1.5
    assert airtable.locked_for(base) < 1.5


@pytest.mark.parametrize("rate, expected", [("5/second", 5), ("10/second", 10)])
def test_the_window_takes_its_size_from_the_rate_setting(app, rate, expected):
    app.config["AIRTABLE_RATE_LIMIT"] = rate
    assert airtable._rate() == expected


def test_a_long_read_goes_as_one_post_list_request_with_one_slot(app, monkeypatch):
    """A read of 100 merge values is longer than a URL should be: pyairtable sends
    it as POST …/listRecords from inside the GET's request, which is the one send
    the slot was taken for (a second slot would cost the base a request)."""
    from prospecting.sandbox import airtable as sandbox
    from tests import factories

    base = factories.airtable_base()
    for i in range(3):
        sandbox.add(base, "Contacts", {"Email": f"person-{i}@example.com"})
    grants, real_acquire = [], airtable.acquire
    monkeypatch.setattr(
        airtable, "acquire", lambda b: (grants.append(b), real_acquire(b))[1]
    )
    methods, real_request = [], airtable.Api.request

    def request(self, method, url, *args, **kwargs):
        methods.append(method.upper())
        return real_request(self, method, url, *args, **kwargs)

    monkeypatch.setattr(airtable.Api, "request", request)
    emails = [f"person-{i}@example.com" for i in range(100)]
    formula = (
        "OR(" + ",".join(f"{{Email}}={airtable.formula_text(e)}" for e in emails) + ")"
    )
    found = airtable.find_records(
        "patToken", base, "Contacts", formula, max_records=None
    )
    assert sorted(r["fields"]["Email"] for r in found) == emails[:3]
    assert methods == ["GET", "POST"]
    assert grants == [base]


@pytest.mark.parametrize("ceiling, granted", [(2.0, True), (0.5, False)])
def test_a_worker_waits_for_a_slot_up_to_the_airtable_ceiling(
    app, monkeypatch, ceiling, granted
):
    """A sync's threads outnumber the window's slots: a thread waits for one up to
    AIRTABLE_MAX_LIMITER_WAIT (whatever the other providers' ceiling) before it
    hands its chunk back, which would cost the chunk's read again."""
    app.config.update(PROVIDER_MAX_LIMITER_WAIT=0.5, AIRTABLE_MAX_LIMITER_WAIT=ceiling)
    clock = FakeClock()
    monkeypatch.setattr(airtable, "time", clock)
    base = "app" + uuid.uuid4().hex[:14]
    for ticket in [airtable.acquire(base) for _ in range(5)]:
        airtable._answered(base, ticket)
    if granted:
        airtable.acquire(base)
        assert clock.now >= 1000.0 + 1.0 + airtable.WINDOW_MARGIN - 1e-6
    else:
        with pytest.raises(ProviderRateLimited, match="budget"):
            airtable.acquire(base)
