"""Outreach pages: login, workspace isolation, search, filters, rules, dry run."""

from datetime import timedelta

import pytest

from prospecting.extensions import db
from prospecting.models.base import utcnow
from prospecting.services import outreach
from prospecting.services.outreach import schemas

PAGES = (
    "/outreach/",
    "/outreach/creators/table",
    "/outreach/samples",
    "/outreach/tasks",
    "/outreach/rules",
    "/outreach/schedules",
    "/outreach/messages",
    "/outreach/upcoming",
)


def ingest(workspace_id, rows, **body):
    parsed = schemas.parse(schemas.SamplesIngest, {"rows": rows, **body})
    return outreach.ingest_samples(workspace_id, parsed)


def row(creator, product="p-1", status="shipped", **over):
    values = {
        "platformProductId": product,
        "productName": f"Product {product}",
        "status": status,
        "platformCreatorId": creator,
        "platformCreatorDisplayName": f"Creator {creator}",
        "region": "MX",
        "platformCampaignName": "Spring",
    }
    values.update(over)
    return values


@pytest.mark.parametrize("path", PAGES)
def test_outreach_pages_require_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", PAGES)
def test_outreach_pages_render_empty(auth_client, path):
    response = auth_client.get(path)
    assert response.status_code == 200


def test_creators_search_filters_and_the_table_is_a_fragment(
    auth_client, workspace, htmx
):
    ingest(workspace.id, [row("alice"), row("bob")])
    page = auth_client.get("/outreach/?q=ALI")
    assert b"Creator alice" in page.data and b"Creator bob" not in page.data
    fragment = auth_client.get("/outreach/creators/table?q=bob", headers=htmx)
    assert b'id="creators-table"' in fragment.data and b"<html" not in fragment.data
    assert b"Creator bob" in fragment.data and b"Creator alice" not in fragment.data


def test_creator_detail_shows_samples_contents_and_messages(auth_client, workspace):
    outreach.save_rule(
        workspace.id, sample_status="shipped", template="Hello {creator}"
    )
    ingest(
        workspace.id,
        [
            row(
                "alice",
                type="video",
                typeNumber=1,
                promotionViewCount=77,
                promotionName="Spark",
            )
        ],
    )
    outreach.materialise_due(now=utcnow() + timedelta(seconds=1), limit=10)
    creator = outreach.search_creators(workspace.id, "alice")
    creator_id = db.session.scalars(creator).first().id
    page = auth_client.get(f"/outreach/creators/{creator_id}")
    assert page.status_code == 200
    assert b"Product p-1" in page.data and b"77 views" in page.data
    assert b"Hello Creator alice" in page.data and b"pending" in page.data


def test_other_workspace_ids_answer_404(auth_client, other_workspace):
    ingest(other_workspace.id, [row("eve")])
    creator_id = (
        db.session.scalars(outreach.search_creators(other_workspace.id)).first().id
    )
    assert auth_client.get(f"/outreach/creators/{creator_id}").status_code == 404
    assert b"Creator eve" not in auth_client.get("/outreach/").data
    assert b"Creator eve" not in auth_client.get("/outreach/samples").data
    rule = outreach.save_rule(other_workspace.id, sample_status="x", template="y")
    assert auth_client.post(f"/outreach/rules/{rule.id}/delete").status_code == 404


def test_samples_filter_by_status_campaign_and_region(auth_client, workspace):
    ingest(
        workspace.id,
        [
            row("a", status="shipped"),
            row("b", status="completed", product="p-2", region="US"),
            row("c", status="shipped", platformCampaignName="Autumn"),
        ],
    )
    shipped = auth_client.get("/outreach/samples?status=shipped").data
    assert (
        b"Creator a" in shipped
        and b"Creator c" in shipped
        and b"Creator b" not in shipped
    )
    autumn = auth_client.get("/outreach/samples?campaign=Autumn").data
    assert b"Creator c" in autumn and b"Creator a" not in autumn
    us = auth_client.get("/outreach/samples?region=us").data
    assert b"Creator b" in us and b"Creator a" not in us
    grouped = auth_client.get("/outreach/samples").data
    assert grouped.count(b'class="group"') == 2  # one header row per product


def test_samples_page_paginates(app, auth_client, workspace):
    app.config["RESULTS_PER_PAGE"] = 2
    ingest(workspace.id, [row(f"c{i}") for i in range(5)])
    first = auth_client.get("/outreach/samples")
    assert b"Page 1 of 3" in first.data and b'id="next-page"' in first.data
    last = auth_client.get("/outreach/samples?page=3")
    assert b"Page 3 of 3" in last.data and b'id="next-page"' not in last.data


def test_rule_form_saves_and_shows_errors(auth_client, workspace):
    bad = auth_client.post(
        "/outreach/rules", data={"sample_status": "", "template": ""}
    )
    assert bad.status_code == 422 and b"rule-form" in bad.data
    missing_hours = auth_client.post(
        "/outreach/rules",
        data={"sample_status": "shipped", "template": "Hi", "reminder_max": "2"},
    )
    assert missing_hours.status_code == 422 and b"hours apart" in missing_hours.data
    ok = auth_client.post(
        "/outreach/rules",
        data={
            "sample_status": "Shipped",
            "template": "Hi {creator}",
            "reminder_every_hours": "12",
            "reminder_max": "3",
            "active": "y",
        },
    )
    assert ok.status_code == 302
    page = auth_client.get("/outreach/rules")
    assert b"shipped" in page.data and b"every 12 h, up to 3" in page.data
    (rule,) = outreach.rules(workspace.id)
    assert auth_client.post(f"/outreach/rules/{rule.id}/delete").status_code == 302
    assert outreach.rules(workspace.id) == []


def test_schedules_upcoming_and_messages_pages_list_planned_work(
    auth_client, workspace
):
    outreach.save_rule(
        workspace.id,
        sample_status="shipped",
        template="Hi {creator}",
        reminder_every_hours=6,
        reminder_max=1,
    )
    ingest(workspace.id, [row("alice")])
    schedules = auth_client.get("/outreach/schedules?status=pending").data
    assert b"first message" in schedules and b"reminder 1" in schedules
    upcoming = auth_client.get("/outreach/upcoming").data
    assert b"Hi Creator alice" in upcoming and b"reminder 1" in upcoming
    outreach.materialise_due(now=utcnow() + timedelta(seconds=1), limit=10)
    log = auth_client.get("/outreach/messages?status=pending").data
    assert b"Hi Creator alice" in log
    assert (
        b"Hi Creator alice"
        not in auth_client.get("/outreach/messages?status=sent").data
    )


def test_task_pages_show_every_field(auth_client, workspace):
    body = {
        "source": "s",
        "task": {"taskId": "T-9", "taskName": "Invite", "weird": [1]},
    }
    parsed = schemas.parse(schemas.TasksIngest, body)
    task, _ = outreach.ingest_task(workspace.id, parsed, body["task"])
    assert b"Invite" in auth_client.get("/outreach/tasks").data
    detail = auth_client.get(f"/outreach/tasks/{task.id}")
    assert b"weird" in detail.data and b"[1]" in detail.data


def test_outreach_nav_link_is_in_the_header(auth_client):
    assert b'href="/outreach/"' in auth_client.get("/outreach/samples").data
