"""The sandbox Airtable contract and the throttled pyairtable client over it."""

import re
import threading
import time
import uuid

import pytest
import requests

from prospecting.providers import airtable
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderRateLimited
from prospecting.sandbox import airtable as sandbox
from prospecting.sandbox import faults

TOKEN = "patSandboxToken"


def new_base(tables=None) -> str:
    """A new sandbox base (the default Contacts and Companies tables)."""
    base = "app" + uuid.uuid4().hex[:14]
    sandbox.create_base(base, tables)
    return base


def _url(sandbox_url, base, table="Contacts"):
    return f"{sandbox_url}/airtable/v0/{base}/{table}"


def _patch(sandbox_url, base, records, merge=("Email",)):
    return requests.patch(
        _url(sandbox_url, base),
        json={"records": records, "performUpsert": {"fieldsToMergeOn": list(merge)}},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
    )


def test_sandbox_upsert_creates_then_updates_on_merge_field(sandbox_url):
    base = new_base()
    first = _patch(sandbox_url, base, [{"fields": {"Email": "a@x.io", "Name": "A"}}])
    assert first.status_code == 200
    (rid,) = first.json()["createdRecords"]
    assert re.fullmatch(r"rec[A-Za-z0-9]{14}", rid)
    second = _patch(
        sandbox_url, base, [{"fields": {"Email": "a@x.io", "Title": "CEO"}}]
    )
    assert second.json()["updatedRecords"] == [rid]
    (row,) = sandbox.records(base, "Contacts")
    assert row["fields"] == {"Email": "a@x.io", "Name": "A", "Title": "CEO"}


def test_sandbox_refuses_more_than_ten_records(sandbox_url):
    base = new_base()
    records = [{"fields": {"Email": f"{i}@x.io"}} for i in range(11)]
    response = _patch(sandbox_url, base, records)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "INVALID_REQUEST_UNKNOWN"
    assert "$.records" in error["message"] and "is too long" in error["message"]
    assert sandbox.records(base, "Contacts") == []


def test_sandbox_refuses_upsert_matching_several_records(sandbox_url):
    base = new_base()
    for _ in range(2):
        requests.post(
            _url(sandbox_url, base),
            json={"records": [{"fields": {"Email": "dup@x.io"}}]},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        )
    response = _patch(sandbox_url, base, [{"fields": {"Email": "dup@x.io"}}])
    assert response.status_code == 422
    assert "more than one" in response.json()["error"]["message"]


def test_sandbox_needs_merge_fields_and_a_token(sandbox_url):
    base = new_base()
    assert _patch(sandbox_url, base, [{"fields": {"Name": "x"}}]).status_code == 422
    response = requests.get(_url(sandbox_url, base), timeout=5)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "AUTHENTICATION_REQUIRED"


def test_sandbox_locks_a_base_out_after_a_429(sandbox_url):
    faults.set_overrides({"airtable_rate": 2, "airtable_lockout": 1})
    base, other = new_base(), new_base()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    codes = [
        requests.get(_url(sandbox_url, base), headers=headers, timeout=5).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    time.sleep(0.5)  # the 1 s window has room again, but the lockout still runs
    locked = requests.get(_url(sandbox_url, base), headers=headers, timeout=5)
    assert locked.status_code == 429
    assert locked.json()["error"]["type"] == "TOO_MANY_REQUESTS"
    # Other bases have their own budget.
    assert requests.get(_url(sandbox_url, other), headers=headers, timeout=5).ok
    time.sleep(0.7)
    assert requests.get(_url(sandbox_url, base), headers=headers, timeout=5).ok


def test_sandbox_lockout_defaults_to_thirty_seconds(app):
    assert app.config["SANDBOX_AIRTABLE_LOCKOUT_SECONDS"] == 1.0  # tests shorten it
    from config import Config

    assert Config.SANDBOX_AIRTABLE_LOCKOUT_SECONDS == 30.0
    assert Config.AIRTABLE_LOCKOUT_SECONDS == 30.0
    assert Config.AIRTABLE_RATE_LIMIT == "5/second"


def test_client_upserts_and_lists_through_pyairtable(app):
    base = new_base()
    records = [{"fields": {"Email": f"p{i}@x.io", "Name": f"P{i}"}} for i in range(10)]
    result = airtable.upsert(TOKEN, base, "Contacts", records, merge_fields=["Email"])
    assert len(result["createdRecords"]) == 10
    listed = airtable.list_records(TOKEN, base, "Contacts")
    assert sorted(r["fields"]["Email"] for r in listed) == sorted(
        f"p{i}@x.io" for i in range(10)
    )
    (call,) = sandbox.calls(base)
    assert call["typecast"] is True and call["records"] == 10


def test_client_refuses_more_than_ten_records_before_sending(app):
    with pytest.raises(ValueError):
        airtable.upsert(
            TOKEN,
            new_base(),
            "Contacts",
            [{"fields": {"Email": f"{i}@x.io"}} for i in range(11)],
            merge_fields=["Email"],
        )


def test_client_throttles_to_five_requests_per_second_per_base(app):
    """12 requests from 3 threads take over 2 s, and the sandbox never answers 429."""
    base = new_base()

    def send(n):
        with app.app_context():
            for i in range(4):
                airtable.upsert(
                    TOKEN,
                    base,
                    "Contacts",
                    [{"fields": {"Email": f"t{n}-{i}@x.io"}}],
                    merge_fields=["Email"],
                )

    started = time.monotonic()
    threads = [threading.Thread(target=send, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    statuses = [c["status"] for c in sandbox.calls(base)]
    assert statuses == [200] * 12
    assert elapsed >= 2.0
    assert len(sandbox.records(base, "Contacts")) == 12


def test_client_honours_the_lockout_without_calling(app):
    """After a 429 the client refuses to call the base until the lockout has passed."""
    app.config["AIRTABLE_RATE_LIMIT"] = "100/second"  # let the sandbox say 429
    faults.set_overrides({"airtable_rate": 2, "airtable_lockout": 1})
    base = new_base()
    record = [{"fields": {"Email": "l@x.io"}}]
    airtable.upsert(TOKEN, base, "Contacts", record, merge_fields=["Email"])
    airtable.upsert(TOKEN, base, "Contacts", record, merge_fields=["Email"])
    with pytest.raises(ProviderRateLimited) as first:
        airtable.upsert(TOKEN, base, "Contacts", record, merge_fields=["Email"])
    assert 0 < first.value.retry_after <= app.config["AIRTABLE_LOCKOUT_SECONDS"]
    assert airtable.locked_for(base) > 0
    sent = len(sandbox.calls(base))
    with pytest.raises(ProviderRateLimited):
        airtable.upsert(TOKEN, base, "Contacts", record, merge_fields=["Email"])
    assert len(sandbox.calls(base)) == sent  # refused locally, nothing sent
    time.sleep(1.1)
    assert airtable.locked_for(base) == 0
    airtable.upsert(TOKEN, base, "Contacts", record, merge_fields=["Email"])


def test_client_maps_auth_and_missing_base_errors(app):
    with pytest.raises(ProviderAuthError, match="refused the token"):
        airtable.list_records("invalid-token", new_base(), "Contacts")
    with pytest.raises(ProviderAuthError, match="not found"):
        airtable.list_records(TOKEN, "appMissing0000000", "Contacts")


def test_client_logs_every_call(app):
    from sqlalchemy import select

    from prospecting.extensions import db
    from prospecting.models import ProviderCall

    airtable.list_records(TOKEN, new_base(), "Contacts")
    call = db.session.scalar(
        select(ProviderCall).where(ProviderCall.provider == "airtable")
    )
    assert (call.method, call.status_code) == ("GET", 200)
