"""Outgoing webhooks: signed deliveries sent by the engine, retried until a 2xx,
every attempt logged; endpoints managed on /settings/webhooks and over the API."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import WebhookAttempt
from prospecting.models import WebhookDelivery
from prospecting.services import contacts
from prospecting.services import jobs
from prospecting.services import webhooks
from prospecting.services.contacts import ContactInput
from prospecting.services.errors import InvalidInput
from prospecting.tasks import enqueue_batches
from tests import factories


class Receiver:
    """A local HTTP receiver answering the given statuses in turn (then 200)."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {"headers": dict(self.headers), "body": body.decode()}
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(statuses=()):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def admin_headers(workspace):
    return {"X-API-Key": factories.make_token(workspace.id, role="admin")}


def send_due() -> None:
    """What a worker's heartbeat does: send the batches marked not sent."""
    enqueue_batches(jobs.reclaim_gone())


def deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery).order_by("id")))


def test_a_finished_job_is_posted_signed_to_each_subscribed_endpoint(
    auth_client, workspace, receiver
):
    hook = receiver()
    _, secret = webhooks.add_endpoint(workspace.id, hook.url, ["job.completed"])
    other = receiver()
    webhooks.add_endpoint(workspace.id, other.url, ["job.failed"])
    job = factories.start_enrichment(auth_client, factories.contacts_csv(3))
    assert job.status == "completed"
    # Written with the job's end, not sent by it: nothing waits on a receiver.
    (delivery,) = deliveries()
    assert delivery.status == "pending" and hook.requests == []
    send_due()
    (request,) = hook.requests
    assert other.requests == []
    body = json.loads(request["body"])
    assert body["type"] == "job.completed"
    assert body["data"]["job"]["id"] == job.id
    assert body["data"]["job"]["success_count"] == 3
    headers = request["headers"]
    assert headers["Prospecting-Event"] == "job.completed"
    assert headers["Prospecting-Delivery"] == str(delivery.id)
    t, v1 = (
        part.split("=", 1)[1] for part in headers["Prospecting-Signature"].split(",")
    )
    expected = hmac.new(
        secret.encode(), f"{t}.{request['body']}".encode(), hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(v1, expected)
    (delivery,) = deliveries()
    assert delivery.status == "delivered" and delivery.attempts == 1


def test_a_receiver_that_fails_twice_then_accepts_gets_the_event_once(
    app, workspace, receiver
):
    app.config["WEBHOOK_RETRY_SECONDS"] = [0]
    hook = receiver([500, 503])
    webhooks.add_endpoint(workspace.id, hook.url, ["job.paused"])
    job = factories.make_job(workspace.id, status="running")
    jobs.pause(job.id, "Cost cap reached.")
    send_due()
    assert [json.loads(r["body"])["type"] for r in hook.requests] == ["job.paused"] * 3
    assert len({r["body"] for r in hook.requests}) == 1  # the same event each time
    (delivery,) = deliveries()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    codes = db.session.scalars(
        select(WebhookAttempt.status_code).order_by(WebhookAttempt.id)
    ).all()
    assert codes == [500, 503, 200]


def test_a_delivery_waits_with_backoff_and_gives_up_after_its_window(
    app, workspace, receiver
):
    hook = receiver([500, 500, 500])
    webhooks.add_endpoint(workspace.id, hook.url, ["job.failed"])
    job = factories.make_job(workspace.id, status="running")
    jobs.fail(job.id, "Provider refused the key.")
    send_due()
    (delivery,) = deliveries()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.next_attempt_at is not None  # tried again in 10 s
    app.config["WEBHOOK_RETRY_HOURS"] = 0
    (batch,) = db.session.scalars(
        select(JobBatch).where(JobBatch.kind == "webhook_send")
    ).all()
    assert batch.not_before is not None  # the backoff: not due yet
    batch.not_before = None  # ten seconds later
    db.session.commit()
    factories.run_batch(batch.id)
    (delivery,) = deliveries()
    assert (delivery.status, delivery.attempts) == ("failed", 2)


def test_a_receiver_that_is_down_loses_nothing_and_resend_delivers(
    auth_client, workspace, receiver
):
    app_config = auth_client.application.config
    app_config["WEBHOOK_RETRY_HOURS"] = 0
    hook = receiver()
    url = hook.url
    endpoint, _ = webhooks.add_endpoint(workspace.id, url, ["job.completed"])
    hook.close()  # down: connection refused
    factories.start_enrichment(auth_client, factories.contacts_csv(2))
    send_due()
    (delivery,) = deliveries()
    assert delivery.status == "failed" and "connect" in delivery.last_error.lower()
    page = auth_client.get(f"/settings/webhooks/{endpoint.id}").get_data(as_text=True)
    assert f'id="delivery-{delivery.id}"' in page and "Resend" in page
    back = receiver()
    endpoint.url = back.url
    db.session.commit()
    response = auth_client.post(f"/settings/webhooks/deliveries/{delivery.id}/resend")
    assert response.status_code == 302
    assert len(back.requests) == 1
    (delivery,) = deliveries()
    assert delivery.status == "delivered" and delivery.attempts == 2


def test_webhook_jobs_do_not_announce_themselves(app, workspace, receiver):
    hook = receiver()
    webhooks.add_endpoint(workspace.id, hook.url, ["job.completed"])
    job = factories.make_job(workspace.id, status="running")
    assert jobs.finalise(job.id)
    send_due()
    send_due()
    assert len(hook.requests) == 1
    kinds = db.session.scalars(select(Job.kind)).all()
    assert kinds.count(webhooks.KIND) == 1
    delivered = db.session.scalars(select(Job).where(Job.kind == webhooks.KIND)).one()
    assert delivered.status == "completed"


def test_private_addresses_are_refused_outside_development(app, workspace):
    app.config["ALLOW_PRIVATE_PROVIDER_URLS"] = False
    for url in ("http://127.0.0.1:9/hook", "https://127.0.0.1/hook", "ftp://x.io/"):
        with pytest.raises(InvalidInput):
            webhooks.add_endpoint(workspace.id, url, ["job.completed"])


def test_the_settings_page_adds_shows_the_secret_once_and_removes(
    auth_client, receiver
):
    hook = receiver()
    response = auth_client.post(
        "/settings/webhooks",
        data={"url": hook.url, "events": ["job.completed", "contact.deleted"]},
    )
    assert response.status_code == 302
    page = auth_client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="webhook-secret"' in page and "whsec_" in page
    again = auth_client.get("/settings/webhooks").get_data(as_text=True)
    assert "whsec_" not in again and hook.url in again
    (endpoint,) = webhooks.endpoints_of(1)
    assert endpoint.events == ["job.completed", "contact.deleted"]
    confirm = auth_client.get(f"/settings/webhooks/{endpoint.id}/delete")
    assert 'id="confirm-button"' in confirm.get_data(as_text=True)
    auth_client.post(f"/settings/webhooks/{endpoint.id}/delete")
    assert webhooks.endpoints_of(1) == []


def test_the_settings_form_names_what_is_wrong(auth_client):
    response = auth_client.post("/settings/webhooks", data={"url": "", "events": []})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Choose at least one event." in body


def test_the_api_registers_lists_pages_deliveries_and_removes(
    client, workspace, admin_headers, api_headers, receiver
):
    hook = receiver()
    created = client.post(
        "/api/v1/webhooks",
        json={"url": hook.url, "events": ["job.failed"], "description": "CRM"},
        headers=admin_headers,
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["job.failed"]
    listed = client.get("/api/v1/webhooks", headers=api_headers).get_json()
    assert [e["id"] for e in listed["results"]] == [body["id"]]
    assert "secret" not in listed["results"][0]
    job = factories.make_job(workspace.id, status="running")
    jobs.fail(job.id, "Boom.")
    send_due()
    page = client.get(
        f"/api/v1/webhooks/{body['id']}/deliveries", headers=api_headers
    ).get_json()
    (delivery,) = page["results"]
    assert delivery["status"] == "delivered"
    assert delivery["attempts"][0]["status_code"] == 200
    assert page["pagination"]["total"] == 1
    member = client.delete(f"/api/v1/webhooks/{body['id']}", headers=api_headers)
    assert member.status_code == 403  # a member token reads, an admin manages
    gone = client.delete(f"/api/v1/webhooks/{body['id']}", headers=admin_headers)
    assert gone.status_code == 204
    missing = client.delete(f"/api/v1/webhooks/{body['id']}", headers=admin_headers)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"events": ["job.failed"]}, "url"),
        ({"url": "https://hooks.example.com/x", "events": []}, "events"),
        ({"url": "https://hooks.example.com/x", "events": ["job.done"]}, "events"),
        ({"url": "https://hooks.example.com/x", "events": "job.failed"}, "events"),
    ],
)
def test_the_api_refuses_bad_input_naming_the_field(
    client, admin_headers, payload, field
):
    response = client.post("/api/v1/webhooks", json=payload, headers=admin_headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["field"] == field


def test_contacts_created_updated_and_deleted_are_announced(app, workspace, receiver):
    hook = receiver()
    events = ["contact.created", "contact.updated", "contact.deleted"]
    webhooks.add_endpoint(workspace.id, hook.url, events)
    report = contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(name="Ann", email="ann@acme.com", email_verdict="valid"),
            ContactInput(name="Bob", phone="+14155550100"),
        ],
    )
    ann_id = report.items[0].contact_id
    contacts.update_contact(
        workspace.id, ann_id, name="Ann Lee", email="ann@acme.com", phone=None
    )
    contacts.delete_contact(workspace.id, ann_id)
    send_due()
    bodies = [json.loads(r["body"]) for r in hook.requests]
    assert [b["type"] for b in bodies] == events
    created = bodies[0]["data"]["contacts"]
    assert [c["name"] for c in created] == ["Ann", "Bob"]
    assert bodies[1]["data"]["contacts"][0]["name"] == "Ann Lee"
    assert bodies[2]["data"]["contacts"] == [
        {"id": ann_id, "name": "Ann Lee", "email": "ann@acme.com", "phone": None}
    ]


def test_an_import_that_is_refused_announces_nothing(app, workspace, receiver):
    hook = receiver()
    webhooks.add_endpoint(workspace.id, hook.url, ["contact.created"])
    contacts.upsert_contacts(
        workspace.id, [ContactInput(name="Bad", email="bounce@mailinator.com")]
    )
    send_due()
    assert hook.requests == [] and deliveries() == []
