"""The quality gate into the contact book and "Add to contacts" as a job."""

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import ContactEmail
from prospecting.models import ContactSource
from prospecting.models import Job
from prospecting.services import contacts
from prospecting.services.contacts import ContactInput
from prospecting.services.contacts import gate
from prospecting.services.errors import InvalidInput
from tests import factories
from tests.factories import start_enrichment


@pytest.mark.parametrize(
    "verdict,flags,include_risky,rule",
    [
        ("valid", [], False, None),
        ("invalid", [], False, "invalid_email"),
        ("invalid", [], True, "invalid_email"),
        ("risky", ["disposable"], True, "disposable_email"),
        ("risky", ["catch_all"], False, "risky_email"),
        ("risky", ["catch_all"], True, None),
        ("unknown", [], False, "risky_email"),
        (None, [], False, None),  # never verified: well formed is enough
    ],
)
def test_email_rule_follows_the_verdict_and_the_opt_in(
    verdict, flags, include_risky, rule
):
    email = gate.Email("ada@globex.com", verdict, flags)
    assert gate.email_rule(email, include_risky=include_risky) == rule


def test_an_unverified_address_on_a_disposable_domain_is_not_a_channel(app):
    with app.app_context():
        judged = gate.judge(email="test147@mailinator.com")
    assert (judged.admitted, judged.rule) == (False, "disposable_email")


def test_a_bad_address_is_dropped_when_another_channel_remains(workspace):
    report = contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(
                name="Amelia",
                email="bounce.amelia@globex.com",
                email_verdict="invalid",
                phone="+1 415 555 0111",
            )
        ],
    )
    (item,) = report.items
    assert item.status == "created" and item.dropped == ["bounce.amelia@globex.com"]
    contact = db.session.get(Contact, item.contact_id)
    assert contact.email is None and contact.phone == "+14155550111"
    assert contact.emails == []


def test_the_user_may_keep_an_undeliverable_address_explicitly(workspace):
    report = contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(
                email="bounce.b@globex.com",
                email_verdict="invalid",
                phone="+1 415 555 0112",
            )
        ],
        keep_undeliverable=True,
    )
    contact = db.session.get(Contact, report.items[0].contact_id)
    assert [(e.email, e.verdict) for e in contact.emails] == [
        ("bounce.b@globex.com", "invalid")
    ]


def test_a_linkedin_profile_alone_is_a_way_in_and_matches_later(workspace):
    first = contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(
                name="Lin", linkedin_url="https://www.linkedin.com/in/Lin-K/?x=1"
            )
        ],
    )
    later = contacts.upsert_contacts(
        workspace.id,
        [ContactInput(linkedin_url="linkedin.com/in/lin-k", email="lin@globex.com")],
    )
    assert first.items[0].status == "created"
    assert (later.items[0].status, later.items[0].matched_on) == (
        "updated",
        "linkedin",
    )
    contact = db.session.get(Contact, first.items[0].contact_id)
    assert contact.email == "lin@globex.com"


def test_each_email_keeps_its_verdict_flags_and_verification_time(workspace):
    report = contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(
                email="ops@globex.com",
                email_verdict="risky",
                email_flags=["role", "catch_all"],
                source="enrichment",
                source_ref="job-1",
            )
        ],
        include_risky=True,
    )
    contact = db.session.get(Contact, report.items[0].contact_id)
    (email,) = contact.emails
    assert (email.verdict, email.flags, email.is_primary) == (
        "risky",
        ["role", "catch_all"],
        True,
    )
    assert email.verified_at is not None
    assert [(s.source, s.ref) for s in contact.sources] == [("enrichment", "job-1")]


def test_manual_add_names_the_bad_field_and_the_rule(workspace):
    with pytest.raises(InvalidInput) as bad:
        contacts.add_contact(workspace.id, name="X", email="not an address")
    assert bad.value.message.startswith("email:")
    with pytest.raises(InvalidInput) as out:
        contacts.add_contact(workspace.id, name="X", email="t1@mailinator.com")
    assert out.value.code == "disposable_email"
    contact, item = contacts.add_contact(
        workspace.id, name="Y", linkedin_url="https://linkedin.com/in/y"
    )
    assert item.status == "created" and contact.linkedin_key == "linkedin.com/in/y"


def mixed_file(n: int = 300) -> bytes:
    """A contact list of mixed quality: deliverable, invalid, disposable, no email,
    phone only, nothing at all, bad address beside a phone."""
    rows = [["Name", "Email", "Company", "Phone", "Website"]]
    for i in range(n):
        kind = i % 6
        phone = f"+1 415 555 {1000 + i:04d}"
        if kind == 0:
            rows.append([f"Valid {i}", f"valid{i}@globex.com", "Globex", phone, ""])
        elif kind == 1:
            rows.append([f"Bounce {i}", f"bounce.x{i}@globex.com", "Globex", "", ""])
        elif kind == 2:
            rows.append([f"Temp {i}", f"test{i}@mailinator.com", "", "", ""])
        elif kind == 3:
            rows.append([f"Phone only {i}", "", "Initech", phone, ""])
        elif kind == 4:
            rows.append([f"Nothing {i}", "", "Initech", "", ""])
        else:
            rows.append([f"Bad+phone {i}", f"bounce.y{i}@globex.com", "", phone, ""])
    return factories.csv_bytes(rows)


def test_a_mixed_file_through_enrichment_leaves_only_reachable_people(
    auth_client, workspace
):
    """Acceptance: 300 rows of mixed quality through enrichment and "Add to
    contacts": no invalid or disposable address and no unreachable person in the
    book, and nothing already there lost or blanked."""
    kept, _ = contacts.add_contact(
        workspace.id,
        name="Keeper",
        email="keeper@initech.com",
        phone="+1 415 555 1005",  # row 5: a bounce address beside this phone
        title="CEO",
    )
    job = start_enrichment(auth_client, mixed_file())
    assert job.status == "completed"
    response = auth_client.post(f"/contacts/import/enrichment/{job.id}")
    assert response.status_code == 302
    imported = db.session.get(Job, response.headers["Location"].split("/")[-2])
    assert (imported.kind, imported.status) == ("contact_import", "completed")

    book = db.session.scalars(
        select(Contact).where(Contact.workspace_id == workspace.id)
    ).all()
    emails = db.session.scalars(
        select(ContactEmail).where(ContactEmail.workspace_id == workspace.id)
    ).all()
    # without the opt-in, only deliverable (or never verified: the Keeper) ones
    assert {e.verdict for e in emails} <= {"valid", None}
    assert not [e for e in emails if "bounce" in e.email or "mailinator" in e.email]
    assert all(c.email or c.phone or c.linkedin_key for c in book)
    assert not [c for c in book if c.email and c.email.startswith(("bounce", "test"))]
    assert not [c for c in book if c.name.startswith("Nothing")]
    keeper = db.session.get(Contact, kept.id)
    assert (keeper.name, keeper.title, keeper.email) == (
        "Keeper",
        "CEO",
        "keeper@initech.com",
    )
    summary = contacts.import_summary(imported)
    # bounce.x rows: invalid, or risky when the domain answers as a catch-all
    rules = summary["rules"]
    assert rules["invalid_email"] + rules.get("risky_email", 0) >= 50
    assert summary["rules"]["disposable_email"] == 50
    assert summary["rules"]["no_channel"] == 50
    assert summary["entered"] + summary["merged"] + summary["kept_out"] == 300
    assert summary["merged"] >= 1  # the Keeper
    sources = {s.source for s in db.session.scalars(select(ContactSource))}
    assert "enrichment" in sources

    page = auth_client.get(f"/contacts/jobs/{imported.id}/import")
    assert page.status_code == 200
    assert "disposable_email" in page.get_data(as_text=True)
    csv_text = auth_client.get(f"/contacts/jobs/{imported.id}/kept-out.csv").get_data(
        as_text=True
    )
    assert "test2@mailinator.com" in csv_text and "no_channel" in csv_text
    assert csv_text.count("\r\n") == summary["kept_out"] + 1


def test_a_csv_file_goes_straight_into_the_book_through_the_gate(
    auth_client, workspace
):
    content = factories.csv_bytes(
        [
            ["Full name", "E-mail", "Mobile", "LinkedIn URL", "Company name"],
            ["Ada", "ada@globex.com", "", "", "Globex Inc."],
            ["Tess", "test1@mailinator.com", "", "", ""],
            ["Lin", "", "", "https://www.linkedin.com/in/lin", "GLOBEX"],
            ["", "", "", "", "Nobody"],
        ]
    )
    response = factories.import_book_file(auth_client, content)
    assert response.status_code == 302
    job = db.session.get(Job, response.headers["Location"].split("/")[-2])
    summary = contacts.import_summary(job)
    assert summary["entered"] == 2
    assert summary["rules"] == {"disposable_email": 1, "no_channel": 1}
    names = {c.name: c for c in db.session.scalars(select(Contact))}
    assert set(names) == {"Ada", "Lin"}
    assert names["Ada"].company_id == names["Lin"].company_id  # one Globex


def test_a_csv_without_a_channel_column_is_refused_naming_the_field(auth_client):
    content = factories.csv_bytes([["Name", "Company"], ["A", "B"]])
    response = factories.import_book_file(auth_client, content, "x.csv")
    assert response.status_code == 422
    assert "mapping: no email, phone or LinkedIn column" in response.get_data(
        as_text=True
    )


def test_the_html_book_filters_by_verdict_and_shows_each_email(auth_client, workspace):
    contacts.upsert_contacts(
        workspace.id,
        [
            ContactInput(name="Val", email="val@globex.com", email_verdict="valid"),
            ContactInput(name="Ris", email="ris@globex.com", email_verdict="risky"),
        ],
        include_risky=True,
    )
    body = auth_client.get("/contacts/?verdict=risky").get_data(as_text=True)
    assert "Ris" in body and "Val" not in body
    (ris,) = db.session.scalars(select(Contact).where(Contact.name == "Ris")).all()
    page = auth_client.get(f"/contacts/{ris.id}").get_data(as_text=True)
    assert 'id="contact-emails"' in page and "risky" in page
