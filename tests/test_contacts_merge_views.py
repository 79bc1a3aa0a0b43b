"""The duplicates pages and the merge API."""

from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import ContactMerge
from tests.factories import api_error
from tests.factories import make_contact
from tests.factories import make_token
from tests.test_contacts_merge import pair


def test_duplicates_page_lists_groups_with_their_rule(auth_client, workspace):
    a, b, *_ = pair(workspace.id)
    page = auth_client.get("/contacts/duplicates").get_data(as_text=True)
    assert f'id="duplicate-{a.id}"' in page and f'id="duplicate-{b.id}"' in page
    assert "Same email address" in page


def test_duplicates_page_says_when_there_are_none(auth_client, workspace):
    make_contact(workspace.id, email="solo@x.io")
    page = auth_client.get("/contacts/duplicates").get_data(as_text=True)
    assert 'id="no-duplicates"' in page


def test_preview_page_shows_values_and_moves_and_changes_nothing(
    auth_client, workspace
):
    a, b, *_ = pair(workspace.id)
    response = auth_client.get(
        f"/contacts/duplicates/preview?winner={a.id}&ids={a.id},{b.id}"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="merge-field-title"' in page and "CTO" in page
    assert "janedoe+news@gmail.com" in page and "Founder" in page
    assert db.session.get(Contact, b.id) is not None


def test_preview_without_a_pair_goes_back_to_the_list(auth_client, workspace):
    a, _, *_ = pair(workspace.id)
    response = auth_client.get(f"/contacts/duplicates/preview?winner={a.id}&ids={a.id}")
    assert response.status_code == 302


def test_merge_form_merges_and_the_merges_page_undoes_it(auth_client, workspace):
    a, b, *_ = pair(workspace.id)
    a_id, b_id = a.id, b.id
    response = auth_client.post(
        "/contacts/duplicates/merge",
        data={"winner_id": str(a_id), "loser_ids": str(b_id)},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/contacts/{a_id}")
    assert db.session.get(Contact, b_id) is None
    record = db.session.scalar(select(ContactMerge))
    page = auth_client.get("/contacts/merges").get_data(as_text=True)
    assert f"/contacts/merges/{record.id}/undo" in page
    assert auth_client.post(f"/contacts/merges/{record.id}/undo").status_code == 302
    db.session.expire_all()
    assert db.session.get(Contact, b_id).name == "J. Doe"


def test_merge_form_with_a_foreign_contact_flashes_and_keeps_everything(
    auth_client, workspace, other_workspace
):
    a = make_contact(workspace.id, email="a@x.io")
    b = make_contact(other_workspace.id, email="b@x.io")
    response = auth_client.post(
        "/contacts/duplicates/merge",
        data={"winner_id": str(a.id), "loser_ids": str(b.id)},
        follow_redirects=True,
    )
    assert "No such contact" in response.get_data(as_text=True)
    assert db.session.get(Contact, b.id) is not None


def test_api_lists_duplicate_groups_in_the_pagination_shape(
    client, api_headers, workspace
):
    a, b, *_ = pair(workspace.id)
    body = client.get("/api/v1/duplicates", headers=api_headers).get_json()
    assert body["pagination"]["total"] == 1
    (group,) = body["results"]
    assert (group["contact_ids"], group["rules"], group["strong"]) == (
        [a.id, b.id],
        ["email"],
        True,
    )


def test_api_dry_run_answers_the_preview_and_merges_nothing(
    client, api_headers, workspace
):
    a, b, *_ = pair(workspace.id)
    body = client.post(
        "/api/v1/contacts/merge",
        json={"winner_id": a.id, "loser_ids": [b.id], "dry_run": True},
        headers=api_headers,
    ).get_json()
    assert body["merge_id"] is None and body["dry_run"] is True
    fields = {f["field"]: f["value"] for f in body["preview"]["fields"]}
    assert fields["title"] == "CTO"
    assert db.session.get(Contact, b.id) is not None


def test_api_merge_merges_and_names_its_record(client, api_headers, workspace):
    a, b, *_ = pair(workspace.id)
    b_id = b.id
    body = client.post(
        "/api/v1/contacts/merge",
        json={"winner_id": a.id, "loser_ids": [b_id]},
        headers=api_headers,
    ).get_json()
    assert body["merge_id"] and body["undo_until"]
    assert db.session.get(Contact, b_id) is None


def test_api_merge_errors_use_the_envelope(client, api_headers, workspace):
    a = make_contact(workspace.id, email="a@x.io")
    post = lambda body: client.post(  # noqa: E731
        "/api/v1/contacts/merge", json=body, headers=api_headers
    )
    assert api_error(post({"loser_ids": [1]}), 422)["code"] == "bad_winner_id"
    assert api_error(post({"winner_id": a.id}), 422)["code"] == "bad_loser_ids"
    assert api_error(post({"winner_id": a.id, "loser_ids": [a.id]}), 422)
    assert api_error(post({"winner_id": a.id, "loser_ids": [999999]}), 404)
    assert api_error(post({"winner_id": a.id, "x": 1}), 422)["code"] == "bad_field"
    dry = {"winner_id": a.id, "loser_ids": [2], "dry_run": "yes"}
    assert api_error(post(dry), 422)["code"] == "bad_dry_run"


def test_api_merge_needs_a_member_token(client, workspace):
    a, b, *_ = pair(workspace.id)
    headers = {"X-API-Key": make_token(workspace.id, role="viewer")}
    response = client.post(
        "/api/v1/contacts/merge",
        json={"winner_id": a.id, "loser_ids": [b.id]},
        headers=headers,
    )
    api_error(response, 403)
