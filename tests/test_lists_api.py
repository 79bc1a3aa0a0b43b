"""The lists API: lists, members by ids or filter, export, and tags on contacts."""

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import WebhookDelivery
from prospecting.services import lists
from prospecting.services import webhooks
from tests import factories
from tests.factories import api_error


def test_lists_are_created_read_renamed_and_deleted(client, api_headers):
    made = client.post("/api/v1/lists", json={"name": "Q1"}, headers=api_headers)
    assert made.status_code == 201
    body = made.get_json()
    assert body["kind"] == "static" and body["contact_count"] == 0
    assert body["filter"] is None
    got = client.get(f"/api/v1/lists/{body['id']}", headers=api_headers).get_json()
    assert got["name"] == "Q1"
    renamed = client.patch(
        f"/api/v1/lists/{body['id']}", json={"name": "Q2"}, headers=api_headers
    )
    assert renamed.get_json()["name"] == "Q2"
    page = client.get("/api/v1/lists", headers=api_headers).get_json()
    assert [r["name"] for r in page["results"]] == ["Q2"]
    assert page["pagination"]["total"] == 1
    gone = client.delete(f"/api/v1/lists/{body['id']}", headers=api_headers)
    assert gone.status_code == 204
    api_error(client.get(f"/api/v1/lists/{body['id']}", headers=api_headers), 404)


def test_a_smart_list_saves_its_filter_and_counts_now(client, api_headers, workspace):
    ids = factories.make_contacts(workspace.id, 3)
    lists.tag_contacts(workspace.id, ids[:2], "vip")
    made = client.post(
        "/api/v1/lists",
        json={"name": "VIPs", "kind": "smart", "filter": {"tag": "vip"}},
        headers=api_headers,
    ).get_json()
    assert made["filter"] == {"tag": "vip"} and made["contact_count"] == 2
    people = client.get(
        f"/api/v1/contacts?list_id={made['id']}", headers=api_headers
    ).get_json()
    assert sorted(c["id"] for c in people["results"]) == ids[:2]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"name": ""}, "name"),
        ({"name": 5}, "name"),
        ({"name": "X", "kind": "weird"}, "kind"),
        ({"name": "X", "colour": "red"}, "colour"),
        ({"name": "X", "kind": "smart", "filter": {"verdict": "nope"}}, "verdict"),
        ({"name": "X", "kind": "smart", "filter": {"company_id": "a"}}, "company_id"),
        ({"name": "X", "kind": "smart", "filter": []}, "filter"),
        ({"name": "X", "kind": "smart", "filter": {"went_bad": "maybe"}}, "went_bad"),
    ],
)
def test_a_bad_list_is_422_naming_the_field(client, api_headers, body, field):
    error = api_error(client.post("/api/v1/lists", json=body, headers=api_headers), 422)
    assert field in error["message"]
    if error["details"]:
        assert error["details"]["field"] == field


def test_members_are_added_and_removed_by_ids_and_by_filter(
    client, api_headers, workspace
):
    ids = factories.make_contacts(workspace.id, 4)
    leads = factories.make_list(workspace.id)
    url = f"/api/v1/lists/{leads.id}/members"
    added = client.post(url, json={"contact_ids": ids[:2]}, headers=api_headers)
    assert added.get_json()["added"] == 2
    assert added.get_json()["list"]["contact_count"] == 2
    by_filter = client.post(
        url, json={"filter": {"q": "Person 000"}}, headers=api_headers
    ).get_json()
    assert by_filter == by_filter | {"added": 2, "matched": 4}
    removed = client.delete(url, json={"contact_ids": [ids[0]]}, headers=api_headers)
    assert removed.get_json()["removed"] == 1
    assert lists.count_members(leads) == 3


def test_members_change_is_announced_as_list_updated(client, api_headers, workspace):
    webhooks.add_endpoint(workspace.id, "http://127.0.0.1:9/hook", ["list.updated"])
    ids = factories.make_contacts(workspace.id, 1)
    leads = factories.make_list(workspace.id)
    client.post(
        f"/api/v1/lists/{leads.id}/members",
        json={"contact_ids": ids},
        headers=api_headers,
    )
    (delivery,) = db.session.scalars(select(WebhookDelivery)).all()
    assert delivery.event == "list.updated"


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "contact_ids"),
        ({"contact_ids": [], "filter": {}}, "contact_ids"),
        ({"contact_ids": "1,2"}, "contact_ids"),
        ({"contact_ids": [1, "x"]}, "contact_ids"),
        ({"contact_ids": [True]}, "contact_ids"),
        ({"filter": {"tag": 3}}, "tag"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_bad_members_request_is_422_naming_the_field(
    client, api_headers, workspace, body, field
):
    leads = factories.make_list(workspace.id)
    error = api_error(
        client.post(
            f"/api/v1/lists/{leads.id}/members", json=body, headers=api_headers
        ),
        422,
    )
    assert error["details"]["field"] == field


def test_a_smart_list_refuses_members(client, api_headers, workspace):
    ids = factories.make_contacts(workspace.id, 1)
    smart = factories.make_list(workspace.id, "S", "smart", filter_values={"q": "x"})
    error = api_error(
        client.post(
            f"/api/v1/lists/{smart.id}/members",
            json={"contact_ids": ids},
            headers=api_headers,
        ),
        422,
    )
    assert error["code"] == "smart_list"


def test_another_workspaces_list_is_404(client, api_headers, other_workspace):
    theirs = factories.make_list(other_workspace.id, "Theirs")
    for call in (client.get, client.delete):
        api_error(call(f"/api/v1/lists/{theirs.id}", headers=api_headers), 404)
    api_error(client.get("/api/v1/lists/abc", headers=api_headers), 404)


def test_a_list_is_exported(client, api_headers, workspace):
    ids = factories.make_contacts(workspace.id, 2)
    leads = factories.make_list(workspace.id)
    lists.add_members(workspace.id, leads.id, ids[:1])
    csv = client.get(
        f"/api/v1/lists/{leads.id}/export?format=csv&columns=email",
        headers=api_headers,
    )
    assert csv.get_data(as_text=True).lstrip("\ufeff").splitlines() == [
        '"email"',
        '"person0@example.com"',
    ]
    bad = client.get(f"/api/v1/lists/{leads.id}/export?format=pdf", headers=api_headers)
    assert api_error(bad, 422)["details"]["field"] == "format"


def test_the_builtin_list_cannot_be_changed(client, api_headers, workspace):
    went_bad = lists.ensure_went_bad(workspace.id)
    db.session.commit()
    url = f"/api/v1/lists/{went_bad.id}"
    api_error(client.patch(url, json={"name": "x"}, headers=api_headers), 409)
    api_error(client.delete(url, headers=api_headers), 409)


def test_tags_are_set_through_the_contacts_patch(client, api_headers, workspace):
    ids = factories.make_contacts(workspace.id, 1)
    url = f"/api/v1/contacts/{ids[0]}"
    body = client.patch(
        url, json={"tags": ["vip", " eu ", "vip"]}, headers=api_headers
    ).get_json()
    assert body["tags"] == ["eu", "vip"]
    assert client.get(url, headers=api_headers).get_json()["tags"] == ["eu", "vip"]
    tagged = client.get("/api/v1/contacts?tag=vip", headers=api_headers).get_json()
    assert [c["id"] for c in tagged["results"]] == ids
    error = api_error(client.patch(url, json={"tags": "vip"}, headers=api_headers), 422)
    assert error["details"]["field"] == "tags"


def test_a_viewer_token_reads_lists_but_cannot_change_them(client, workspace):
    viewer = {"X-API-Key": factories.make_token(workspace.id, role="viewer")}
    assert client.get("/api/v1/lists", headers=viewer).status_code == 200
    api_error(client.post("/api/v1/lists", json={"name": "X"}, headers=viewer), 403)
