"""Outreach pages in a real browser, fed through the crawler JSON API over HTTP."""

import time

import pytest
import requests
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import sign_in
from tests.e2e.conftest import snapshot

pytestmark = pytest.mark.e2e


def _sample(creator: str, name: str, status: str, region: str, **over) -> dict:
    row = {
        "region": region,
        "productName": "Sample Tee",
        "platformProductId": "1234567890",
        "platformCampaignId": "cmp-holiday",
        "platformCampaignName": "Holiday Sample",
        "status": status,
        "platformCreatorDisplayName": name,
        "platformCreatorUsername": f"@{creator}",
        "platformCreatorId": creator,
        "stock": 10,
        "availableSampleCount": 3,
        "postRate": "0.54",
    }
    row.update(over)
    return row


def _post(base_url: str, path: str, token: str, body) -> dict:
    response = requests.post(
        f"{base_url}{path}",
        json=body,
        headers={"X-INFound-Inner-Service-Token": token},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["code"] == 0, data
    return data["data"]


def _reload_until(page, locator, count: int, timeout: float = 20) -> None:
    """Reload a page that does not poll until `locator` matches `count` elements."""
    deadline = time.monotonic() + timeout
    while locator.count() != count:
        if time.monotonic() > deadline:
            pytest.fail(f"expected {count} of {locator} after {timeout}s")
        page.wait_for_timeout(300)
        page.reload()


def test_outreach_pages_show_what_the_crawlers_posted(page, live_server, worker):
    _, base_url = live_server
    user = factories.make_user(email="outreach@acme.test", workspace="Acme")
    token = factories.make_token(user.memberships[0].workspace_id)
    sign_in(page, user.email)

    # A rule first, so the ingested "shipped" sample gets its message planned.
    page.goto("/outreach/rules")
    rule = page.locator("#rule-form")
    rule.locator("[name=sample_status]").fill("shipped")
    rule.locator("[name=template]").fill("Hi {creator}, your {product} has shipped!")
    rule.locator("[name=reminder_template]").fill("Any news about {product}?")
    rule.locator("[name=reminder_every_hours]").fill("2")
    rule.locator("[name=reminder_max]").fill("3")
    rule.get_by_role("button", name="Save rule").click()
    expect(page.locator("#rules-table tbody tr")).to_have_count(1)
    expect(page.locator("#rules-table")).to_contain_text("every 2 h, up to 3×")

    creators = {
        "source": "creator_crawler",
        "rows": [
            {
                "platformCreatorId": "c-ana",
                "platformCreatorDisplayName": "Ana Lopez",
                "platformCreatorUsername": "@ana",
                "email": "ana@example.com",
                "whatsapp": "+52 55 1234 5678",
                "followers": 1200,
            },
            {"platformCreatorId": "c-bo", "platformCreatorDisplayName": "Bo Chen"},
        ],
    }
    assert _post(base_url, "/creators/ingest", token, creators)["created"] == 2
    samples = {
        "source": "portal_tiktok_sample_crawler",
        "rows": [
            _sample("c-ana", "Ana Lopez", "shipped", "MX"),
            _sample(
                "c-bo",
                "Bo Chen",
                "completed",
                "US",
                type="video",
                typeNumber="2",
                promotionViewCount=2000,
                promotionLikeCount=150,
            ),  # fmt: skip
            _sample(
                "c-bo",
                "Bo Chen",
                "shipped",
                "US",
                platformProductId="555",
                productName="Mug",
            ),  # fmt: skip
        ],
    }
    ingested = _post(base_url, "/samples/ingest", token, samples)
    assert ingested["inserted"] == 3 and ingested["products"] == 2
    assert ingested["schedules"] == 8  # two shipped samples: a message + 3 reminders

    page.goto("/outreach/")
    counts = page.locator("dl.counts")
    expect(counts).to_contain_text("Creators2")
    table = page.locator("#creators-table")
    expect(table.locator("tbody tr[id^=creator-]")).to_have_count(2)
    page.fill("input[name=q]", "ana")  # live search (htmx)
    expect(table.locator("tbody tr[id^=creator-]")).to_have_count(1)
    table.get_by_role("link", name="Ana Lopez").click()
    expect(page.locator("h1")).to_have_text("Ana Lopez")
    expect(page.locator("main")).to_contain_text("ana@example.com")
    expect(page.locator("main")).to_contain_text("followers=1200")
    expect(page.locator("main tr[id^=sample-]")).to_have_count(1)

    page.goto("/outreach/samples")
    rows = page.locator("#samples-table tr[id^=sample-]")
    expect(rows).to_have_count(3)
    expect(page.locator("#samples-table tr.group")).to_have_count(2)  # by product
    filters = page.locator("#sample-filters")
    filters.locator("select[name=status]").select_option("shipped")
    filters.locator("select[name=region]").select_option("US")
    filters.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Bo Chen")
    filters = page.locator("#sample-filters")
    filters.locator("select[name=status]").select_option("completed")
    filters.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("video #2 (2000 views)")

    page.goto("/outreach/schedules")
    expect(page.locator("#schedules-table tr[id^=schedule-]")).to_have_count(8)
    page.locator("#outreach-tabs a", has_text="Next 24 hours").click()
    upcoming = page.locator("#upcoming-table tbody")
    expect(upcoming.locator("tr", has_text="reminder 3")).to_have_count(2)
    expect(upcoming).to_contain_text("Any news about Mug?")
    expect(page.locator("main .hint")).to_contain_text("nothing is sent")

    chat = [
        {
            "platformCreatorId": "c-ana",
            "messages": [
                {"type": "text", "content": "Hola Ana!"},
                {"type": "text", "content": "Did the tee fit?"},
            ],
        }
    ]
    assert _post(base_url, "/chatbot/messages", token, chat)["messages"] == 2
    page.goto("/outreach/messages?status=sent")
    sent = page.locator("#messages-table tbody tr", has_text="chatbot")
    _reload_until(page, sent, 2)  # the worker dispatches them to the sandbox chat
    expect(sent.locator(".badge")).to_have_text(["sent", "sent"])
    expect(page.locator("#messages-table")).to_contain_text("Did the tee fit?")
    snapshot(page, "outreach_messages")
