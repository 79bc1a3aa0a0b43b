"""Duplicates in the book and merging them: preview, merge, undo."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import AuditEvent
from prospecting.models import Contact
from prospecting.models import ContactCompany
from prospecting.models import ContactEmail
from prospecting.models import ContactMerge
from prospecting.models import ContactSource
from prospecting.models.base import utcnow
from prospecting.services.contacts import duplicates
from prospecting.services.contacts import merge
from prospecting.services.contacts import merge_undo
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from tests.factories import make_company
from tests.factories import make_contact


def pair(workspace_id):
    """Jane twice: a Gmail address with and without dots and a tag."""
    acme = make_company(workspace_id, "Acme")
    beta = make_company(workspace_id, "Beta")
    a = make_contact(
        workspace_id, name="Jane Doe", email="jane.doe@gmail.com", company=acme
    )
    b = make_contact(
        workspace_id,
        name="J. Doe",
        email="janedoe+news@gmail.com",
        phone="+14155550101",
        title="CTO",
        company_id=beta.id,
        role="Founder",
    )
    return a, b, acme, beta


def test_email_key_ignores_tags_and_gmail_dots():
    assert duplicates.email_key("Jane.Doe+x@googlemail.com") == "janedoe@gmail.com"
    assert duplicates.email_key("jane.doe+x@acme.io") == "jane.doe@acme.io"


def test_phone_key_matches_one_number_read_with_two_country_codes():
    assert duplicates.phone_key("+919888899999") == duplicates.phone_key("+19888899999")


def test_find_groups_names_the_strong_rule(workspace):
    a, b, *_ = pair(workspace.id)
    make_contact(workspace.id, name="Someone Else", email="else@acme.io")
    (group,), total = duplicates.find_groups(workspace.id)
    assert (group.ids, total) == ([a.id, b.id], 1)
    assert group.rules == ["email"] and group.strong


def test_find_groups_marks_name_and_company_as_possible(workspace):
    acme = make_company(workspace.id, "Acme")
    a = make_contact(workspace.id, name="Ravi Kumar", email="r@a.io", company=acme)
    b = make_contact(workspace.id, name="ravi  KUMAR", email="ravi@b.io", company=acme)
    (group,), _ = duplicates.find_groups(workspace.id)
    assert group.ids == [a.id, b.id]
    assert group.rules == ["name_company"] and not group.strong


def test_find_groups_stays_in_the_workspace(workspace, other_workspace):
    make_contact(workspace.id, name="X", email="x.y@gmail.com")
    make_contact(other_workspace.id, name="X", email="xy@gmail.com")
    assert duplicates.find_groups(workspace.id) == ([], 0)


def test_find_groups_pages_strong_matches_first(workspace):
    acme = make_company(workspace.id, "Acme")
    weak = [
        make_contact(workspace.id, name="Ravi", email=f"r{i}@a.io", company=acme)
        for i in range(2)
    ]
    strong = [
        make_contact(workspace.id, email=e) for e in ("a.b@gmail.com", "ab@gmail.com")
    ]
    first, total = duplicates.find_groups(workspace.id, page=1, per_page=1)
    second, _ = duplicates.find_groups(workspace.id, page=2, per_page=1)
    assert total == 2
    assert first[0].ids == [c.id for c in strong]
    assert second[0].ids == [c.id for c in weak]


def test_preview_shows_surviving_values_and_what_moves(workspace):
    a, b, acme, beta = pair(workspace.id)
    plan = merge.preview(workspace.id, a.id, [b.id])
    fields = {f["field"]: f for f in plan["fields"]}
    assert fields["name"]["value"] == "Jane Doe"
    assert fields["name"]["others"][0]["value"] == "J. Doe"
    assert (fields["title"]["value"], fields["title"]["from"]) == ("CTO", b.id)
    assert fields["phone"]["value"] == "+14155550101"
    moves = {m["table"]: m["rows"] for m in plan["moves"]}
    assert {r["email"] for r in moves["contact_emails"]} == {"janedoe+news@gmail.com"}
    assert moves["contact_companies"] == [
        {"company_id": beta.id, "role": "Founder", "company": "Beta"}
    ]
    assert db.session.get(Contact, b.id) is not None  # a preview changes nothing


def test_merge_moves_every_value_and_relation_to_the_winner(workspace):
    a, b, acme, beta = pair(workspace.id)
    a_id, b_id = a.id, b.id
    _, record = merge.merge(workspace.id, a_id, [b_id], user_id=None)
    db.session.expire_all()
    assert db.session.get(Contact, b_id) is None
    winner = db.session.get(Contact, a_id)
    assert (winner.email, winner.phone, winner.title) == (
        "jane.doe@gmail.com",
        "+14155550101",
        "CTO",
    )
    emails = {(e.email, e.is_primary) for e in winner.emails}
    assert emails == {("jane.doe@gmail.com", True), ("janedoe+news@gmail.com", False)}
    assert {link.company_id for link in winner.links} == {acme.id, beta.id}
    assert (
        db.session.scalar(
            select(ContactSource.id).where(ContactSource.contact_id == b_id)
        )
        is None
    )
    assert record.snapshot["losers"][0]["name"] == "J. Doe"
    event = db.session.scalar(select(AuditEvent))
    assert event.action == "contact.merged"


def test_merge_removes_a_relation_the_winner_already_has(workspace):
    acme = make_company(workspace.id, "Acme")
    a = make_contact(workspace.id, email="a@acme.io", company=acme, role="CEO")
    b = make_contact(workspace.id, email="b@acme.io", company=acme, role="Boss")
    _, record = merge.merge(workspace.id, a.id, [b.id])
    links = db.session.scalars(select(ContactCompany)).all()
    assert [(link.contact_id, link.role) for link in links] == [(a.id, "CEO")]
    assert record.snapshot["removed"]["contact_companies"][0]["role"] == "Boss"


def test_dry_run_merges_nothing(workspace):
    a, b, *_ = pair(workspace.id)
    plan, record = merge.merge(workspace.id, a.id, [b.id], dry_run=True)
    assert record is None and plan["loser_ids"] == [b.id]
    assert db.session.scalar(select(ContactMerge.id)) is None


def test_undo_puts_the_losers_back_as_they_were(workspace):
    a, b, acme, beta = pair(workspace.id)
    a_id, b_id = a.id, b.id
    _, record = merge.merge(workspace.id, a_id, [b_id])
    merge_undo.undo(workspace.id, record.id)
    db.session.expire_all()
    winner, loser = db.session.get(Contact, a_id), db.session.get(Contact, b_id)
    assert (winner.phone, winner.title) == (None, None)
    assert (loser.name, loser.phone, loser.email) == (
        "J. Doe",
        "+14155550101",
        "janedoe+news@gmail.com",
    )
    assert [e.email for e in loser.emails] == ["janedoe+news@gmail.com"]
    assert loser.emails[0].is_primary
    assert [(link.company_id, link.role) for link in loser.links] == [
        (beta.id, "Founder")
    ]
    assert [link.company_id for link in winner.links] == [acme.id]
    with pytest.raises(Conflict):
        merge_undo.undo(workspace.id, record.id)


def test_undo_keeps_a_winner_field_edited_since(workspace):
    a, b, *_ = pair(workspace.id)
    a_id = a.id
    _, record = merge.merge(workspace.id, a_id, [b.id])
    winner = db.session.get(Contact, a_id)
    winner.title = "VP"
    db.session.commit()
    merge_undo.undo(workspace.id, record.id)
    assert db.session.get(Contact, a_id).title == "VP"


def test_undo_refuses_after_thirty_days(workspace):
    a, b, *_ = pair(workspace.id)
    _, record = merge.merge(workspace.id, a.id, [b.id])
    record.created_at = utcnow() - timedelta(days=31)
    db.session.commit()
    with pytest.raises(Conflict) as exc:
        merge_undo.undo(workspace.id, record.id)
    assert exc.value.code == "too_old"


def test_undo_refuses_when_an_address_was_taken_since(workspace):
    a, b, *_ = pair(workspace.id)
    _, record = merge.merge(workspace.id, a.id, [b.id])
    row = db.session.scalar(
        select(ContactEmail).where(ContactEmail.email == "janedoe+news@gmail.com")
    )
    db.session.delete(row)
    db.session.commit()
    make_contact(workspace.id, email="janedoe+news@gmail.com")
    with pytest.raises(Conflict) as exc:
        merge_undo.undo(workspace.id, record.id)
    assert exc.value.code == "undo_conflict"


@pytest.mark.parametrize(
    "winner,losers,error",
    [
        ("1", [2], InvalidInput),
        (1, [], InvalidInput),
        (1, "2", InvalidInput),
        (1, [1], InvalidInput),
        (1, [True], InvalidInput),
        (1, [99999], NotFound),
    ],
)
def test_merge_refuses_bad_ids(workspace, winner, losers, error):
    a = make_contact(workspace.id, email="a@x.io")
    winner = a.id if winner == 1 else winner
    losers = (
        [a.id if x == 1 else x for x in losers] if isinstance(losers, list) else losers
    )
    with pytest.raises(error):
        merge.merge(workspace.id, winner, losers)


def test_merge_refuses_a_contact_of_another_workspace(workspace, other_workspace):
    a = make_contact(workspace.id, email="a@x.io")
    b = make_contact(other_workspace.id, email="b@x.io")
    with pytest.raises(NotFound):
        merge.merge(workspace.id, a.id, [b.id])
