"""The contact book: normalisation, de-duplication and the upsert report."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import ContactEmail
from prospecting.models.base import utcnow
from prospecting.services import contacts
from prospecting.services.contacts import ContactInput
from prospecting.services.contacts import write as upsert_write
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound


def _all(workspace_id):
    return db.session.scalars(
        select(Contact).where(Contact.workspace_id == workspace_id)
    ).all()


def test_upsert_collapses_phone_formatting_differences(workspace):
    report = contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(name="Gita", phone="+91 98888 99999", phone_region="IN"),
            ContactInput(name="Gita R", phone="09888899999", phone_region="IN"),
            ContactInput(phone="9888899999", phone_region="IN", title="Director"),
        ],
    )
    assert [i.status for i in report.items] == ["created", "skipped", "updated"]
    assert [i.matched_on for i in report.items] == [None, "phone", "phone"]
    (contact,) = _all(workspace.id)
    assert contact.phone == "+919888899999"
    assert contact.name == "Gita"  # a known value is never replaced
    assert contact.title == "Director"  # an empty one is filled


def test_upsert_matches_email_case_insensitively(workspace):
    contacts.upsert_contacts(workspace.id, [ContactInput(email="Ana@Example.COM")])
    report = contacts.upsert_contacts(
        workspace.id, [ContactInput(email="ana@example.com", name="Ana")]
    )
    (item,) = report.items
    assert (item.status, item.matched_on) == ("updated", "email")
    (contact,) = _all(workspace.id)
    assert (contact.email, contact.name) == ("ana@example.com", "Ana")


def test_upsert_never_blanks_known_values(workspace):
    contacts.upsert_contacts(
        workspace.id,
        [ContactInput(email="a@x.io", name="Ann", title="CEO", location="Pune")],
    )
    report = contacts.upsert_contacts(
        workspace.id, [ContactInput(email="a@x.io", name="", title=None)]
    )
    assert report.items[0].status == "skipped"
    contact = _all(workspace.id)[0]
    assert (contact.name, contact.title, contact.location) == ("Ann", "CEO", "Pune")


def test_upsert_adds_phone_found_by_email(workspace):
    contacts.upsert_contacts(workspace.id, [ContactInput(email="b@x.io")])
    contacts.upsert_contacts(
        workspace.id, [ContactInput(email="b@x.io", phone="+1 415 555 0101")]
    )
    report = contacts.upsert_contacts(
        workspace.id, [ContactInput(phone="(415) 555-0101", name="Bo")]
    )
    assert report.items[0].matched_on == "phone"
    (contact,) = _all(workspace.id)
    assert (contact.email, contact.phone, contact.name) == (
        "b@x.io",
        "+14155550101",
        "Bo",
    )


def test_upsert_keeps_out_contacts_without_a_way_to_reach_them(workspace):
    report = contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(name="Nobody", email="not-an-email", phone="12"),
            ContactInput(name="Nothing at all"),
        ],
    )
    assert [(i.status, i.rule) for i in report.items] == [
        ("kept_out", "invalid_email"),
        ("kept_out", "no_channel"),
    ]
    assert all(i.contact_id is None for i in report.items)
    assert "email, phone number or LinkedIn" in report.items[1].reason
    assert report.rules() == {"invalid_email": 1, "no_channel": 1}
    assert _all(workspace.id) == []


def test_upsert_keeps_phone_owned_by_another_contact(workspace):
    contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(email="one@x.io"),
            ContactInput(email="two@x.io", phone="+14155550102"),
        ],
    )
    report = contacts.upsert_contacts(
        workspace.id, [ContactInput(email="one@x.io", phone="+14155550102")]
    )
    (item,) = report.items
    assert item.matched_on == "email"
    assert "belongs to contact" in item.reason
    one = db.session.scalar(select(Contact).where(Contact.email == "one@x.io"))
    assert one.phone is None


def test_report_counts_created_updated_skipped(workspace):
    report = contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(email="c@x.io"),
            ContactInput(email="c@x.io", name="C"),
            ContactInput(email="c@x.io", name="C"),
            ContactInput(name="no key"),
        ],
    )
    assert (report.created, report.updated, report.skipped) == (1, 1, 1)
    assert report.kept_out == 1


def test_same_email_in_two_workspaces_is_two_contacts(workspace, other_workspace):
    for ws in (workspace, other_workspace):
        contacts.upsert_contacts(ws.id, [ContactInput(email="same@x.io")])
    assert len(_all(workspace.id)) == len(_all(other_workspace.id)) == 1


def test_database_refuses_duplicate_email_and_phone(workspace):
    db.session.add(Contact(workspace_id=workspace.id, email="d@x.io"))
    db.session.commit()
    db.session.add(Contact(workspace_id=workspace.id, email="d@x.io"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add_all(
        [
            Contact(workspace_id=workspace.id, phone="+14155550103"),
            Contact(workspace_id=workspace.id, phone="+14155550103"),
        ]
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # NULL keys are not duplicates: many contacts may lack an email or a phone.
    db.session.add_all(
        [
            Contact(workspace_id=workspace.id, phone="+14155550104"),
            Contact(workspace_id=workspace.id, phone="+14155550105"),
        ]
    )
    db.session.commit()


def test_upsert_rematches_after_a_concurrent_insert(workspace, monkeypatch):
    """Another writer inserting the same person first turns the create into an
    update on the next pass (the INSERT … ON CONFLICT skipped ours)."""
    real_owners = upsert_write._owners
    calls = {"n": 0}

    def racing_owners(workspace_id, people):
        calls["n"] += 1
        if calls["n"] == 1:
            # Another process inserts the same email between our lookup and insert.
            with db.engine.begin() as conn:
                contact_id = conn.execute(
                    Contact.__table__.insert().values(
                        workspace_id=workspace_id,
                        email="race@x.io",
                        name="First",
                        source="manual",
                        addresses=[],
                        provider_ids={},
                        sync_failed=False,
                        created_at=utcnow(),
                        updated_at=utcnow(),
                    )
                ).inserted_primary_key[0]
                conn.execute(
                    ContactEmail.__table__.insert().values(
                        workspace_id=workspace_id,
                        contact_id=contact_id,
                        email="race@x.io",
                        flags=[],
                        is_primary=True,
                        source="manual",
                        created_at=utcnow(),
                    )
                )
            return {}
        return real_owners(workspace_id, people)

    monkeypatch.setattr(upsert_write, "_owners", racing_owners)
    report = contacts.upsert_contacts(
        workspace.id, [ContactInput(email="race@x.io", title="CTO")]
    )
    (item,) = report.items
    assert (item.status, item.matched_on) == ("updated", "email")
    (contact,) = _all(workspace.id)
    assert (contact.name, contact.title) == ("First", "CTO")


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("U74999TG2017PTC118280", "U74999TG2017PTC118280"),
        (" u74999tg2017ptc118280 ", "U74999TG2017PTC118280"),
        ("L17110MH1973PLC019786", "L17110MH1973PLC019786"),
        ("aaa-1234", "AAA-1234"),
    ],
)
def test_registration_number_accepts_cin_and_llpin(app, raw, expected):
    assert contacts.normalise_registration(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "U74999TG2017PTC11828", "X74999TG2017PTC118280", "AA-1234", "ACME"]
)
def test_registration_number_rejects_other_formats(app, raw):
    with pytest.raises(InvalidInput):
        contacts.normalise_registration(raw)


def test_save_company_refuses_duplicate_registration_number(workspace):
    contacts.save_company(
        workspace.id, name="Acme", registration_number="U74999TG2017PTC118280"
    )
    with pytest.raises(Conflict):
        contacts.save_company(
            workspace.id, name="Other", registration_number="U74999TG2017PTC118280"
        )


def test_company_of_another_workspace_is_not_found(workspace, other_workspace):
    company = contacts.save_company(other_workspace.id, name="Theirs")
    with pytest.raises(NotFound):
        contacts.get_company(workspace.id, company.id)


def test_update_contact_refuses_another_contacts_email(workspace):
    report = contacts.upsert_contacts(
        workspace.id, [ContactInput(email="e1@x.io"), ContactInput(email="e2@x.io")]
    )
    with pytest.raises(InvalidInput, match="already has this email"):
        contacts.update_contact(
            workspace.id, report.items[1].contact_id, name="", email="E1@x.io", phone=""
        )


def test_update_contact_needs_email_or_phone(workspace):
    report = contacts.upsert_contacts(workspace.id, [ContactInput(email="f@x.io")])
    with pytest.raises(InvalidInput, match="email or a phone"):
        contacts.update_contact(
            workspace.id, report.items[0].contact_id, name="F", email="", phone=""
        )


def test_search_contacts_filters_by_text_company_and_sync_state(workspace):
    company = contacts.save_company(workspace.id, name="Globex")
    contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(
                name="Hank Scorpio", email="hank@globex.io", company_id=company.id
            ),
            ContactInput(name="Homer", email="homer@plant.io"),
        ],
    )
    found, total = contacts.search_contacts(workspace.id, q="globex")
    assert total == 1 and found[0].name == "Hank Scorpio"
    found, total = contacts.search_contacts(workspace.id, company_id=company.id)
    assert [c.name for c in found] == ["Hank Scorpio"]
    _, pending = contacts.search_contacts(workspace.id, sync="pending")
    _, synced = contacts.search_contacts(workspace.id, sync="synced")
    assert (pending, synced) == (2, 0)


def test_cap_max_contacts(app):
    app.config["ATTESTR_MAX_CONTACTS"] = 50
    assert contacts.cap_max_contacts(None) == 50
    assert contacts.cap_max_contacts("7") == 7
    assert contacts.cap_max_contacts(500) == 50
    for bad in (0, -1, "x", True):
        with pytest.raises(InvalidInput):
            contacts.cap_max_contacts(bad)


def test_a_known_person_under_a_second_company_is_linked_to_both(workspace):
    """A director fetched under another company with a new phone keeps the first
    phone as primary, gains the new one, and is linked to both with a role."""
    first = contacts.company_for(workspace.id, name="Globex")
    second = contacts.company_for(workspace.id, name="Umbrella Health")
    contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(
                name="Gita",
                email="gita@globex.com",
                phone="+1 415 555 0170",
                company_id=first.id,
                role="Director",
            )
        ],
    )
    report = contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(
                name="Gita R",
                email="gita@globex.com",
                phone="+1 415 555 0171",
                company_id=second.id,
                role="Chair",
                source="attestr",
            )
        ],
    )
    (item,) = report.items
    assert (item.status, item.matched_on) == ("updated", "email")
    contact = db.session.get(Contact, item.contact_id)
    assert contact.phone == "+14155550170" and contact.company_id == first.id
    assert [(p.phone, p.is_primary) for p in contact.phones] == [
        ("+14155550170", True),
        ("+14155550171", False),
    ]
    assert {(link.company_id, link.role) for link in contact.links} == {
        (first.id, "Director"),
        (second.id, "Chair"),
    }
    assert {s.source for s in contact.sources} == {"manual", "attestr"}
    # found again by the second number
    again = contacts.upsert_contacts(
        workspace.id, [ContactInput(phone="+1 415 555 0171", title="CFO")]
    )
    assert again.items[0].contact_id == contact.id


def test_a_new_email_for_a_known_phone_is_added_as_an_additional_address(workspace):
    contacts.upsert_contacts(
        workspace.id, [ContactInput(email="a1@globex.com", phone="+1 415 555 0172")]
    )
    report = contacts.upsert_contacts(
        workspace.id, [ContactInput(email="a2@globex.com", phone="+1 415 555 0172")]
    )
    contact = db.session.get(Contact, report.items[0].contact_id)
    assert report.items[0].status == "updated"
    assert contact.email == "a1@globex.com"
    assert [e.email for e in contact.emails] == ["a1@globex.com", "a2@globex.com"]


@pytest.mark.parametrize(
    "a,b",
    [
        ("Globex", "globex"),
        ("Stark Industries", "Starkindustries"),
        ("Wayne Ent", "Wayne Enterprises"),
        ("Umbrella Health", "Umbrellahealth"),
        ("Acme Pvt. Ltd.", "ACME Private Limited"),
        ("Initech, Inc.", "Initech LLC"),
        ("Hooli GmbH", "hooli"),
    ],
)
def test_companies_with_the_same_normalised_name_are_one(workspace, a, b):
    assert (
        contacts.company_for(workspace.id, name=a).id
        == contacts.company_for(workspace.id, name=b).id
    )


def test_a_company_found_by_name_takes_the_domain_it_lacked(workspace):
    by_name = contacts.company_for(workspace.id, name="Globex Corp")
    by_domain = contacts.company_for(workspace.id, name="Globex", domain="globex.com")
    assert by_domain.id == by_name.id and by_name.domain == "globex.com"
    other = contacts.company_for(workspace.id, name="Globex", domain="globex.io")
    assert other.id != by_name.id  # same name, another domain: another company
