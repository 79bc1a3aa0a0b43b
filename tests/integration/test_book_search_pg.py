"""The book's substring search on PostgreSQL: trigram indexes made by the
migrations, used by the search, and the results right."""

import pytest
from sqlalchemy import text

from prospecting.extensions import db
from prospecting.services import contacts
from prospecting.services.contacts import ContactFilter
from tests import factories

pytestmark = pytest.mark.integration

TRIGRAM = {
    "contacts": ("ix_contacts_name_trgm", "ix_contacts_email_trgm"),
    "contact_emails": ("ix_contact_emails_email_trgm",),
    "companies": ("ix_companies_name_trgm",),
}


FILL = text(
    "INSERT INTO contacts (workspace_id, name, email, addresses, source, "
    "provider_ids, sync_failed, created_at, updated_at) "
    "SELECT :ws, 'Filler ' || md5(i::text), 'f' || i || '@filler.test', '[]', "
    "'csv', '{}', false, now(), now() FROM generate_series(1, 5000) AS i"
)


@pytest.fixture
def workspace(pg_app):
    user = factories.make_user(email="owner@acme.test", workspace="Acme")
    return user.memberships[0].workspace


def test_the_trigram_indexes_exist_after_the_migrations(pg_app):
    for table, names in TRIGRAM.items():
        defs = dict(
            db.session.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t"),
                {"t": table},
            ).all()
        )
        for name in names:
            assert "USING gin" in defs[name] and "gin_trgm_ops" in defs[name]


def test_a_substring_search_uses_the_trigram_indexes_and_finds_the_right_people(
    workspace,
):
    globex = contacts.company_for(workspace.id, name="Globex Inc.")
    for n in range(30):
        factories.make_contact(workspace.id, f"Person {n}", f"p{n}@example.com")
    factories.make_contact(
        workspace.id, "Ada Lovelace", "countess@analytical.org", company=globex
    )
    factories.make_contact(workspace.id, "Bob Byte", "bob@globex.com")

    def names(**where):
        rows, total, _ = contacts.page_of_contacts(workspace.id, ContactFilter(**where))
        return sorted(c.name for c in rows), total

    assert names(q="LOVEL") == (["Ada Lovelace"], 1)
    assert names(q="analytical") == (["Ada Lovelace"], 1)
    assert names(q="globex") == (["Ada Lovelace", "Bob Byte"], 2)
    assert names(email="globex.c") == (["Bob Byte"], 1)
    assert names(name="50%") == ([], 0)

    # Enough of a book that scanning the workspace costs more than the index.
    db.session.execute(FILL, {"ws": workspace.id})
    db.session.execute(text("ANALYZE contacts, contact_emails, companies"))
    for names_ in TRIGRAM.values():
        for name in names_:
            # What a vacuum would do: the rows just added enter the index proper.
            db.session.execute(text(f"SELECT gin_clean_pending_list('{name}')"))
    # A test book is small enough that scanning is cheapest; ask what else can serve.
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    stmt = contacts.contacts_query(workspace.id, ContactFilter(q="lovelace"))
    sql = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = "\n".join(db.session.scalars(text(f"EXPLAIN {sql}")))
    assert "ix_contacts_name_trgm" in plan, plan
    assert "ix_contacts_email_trgm" in plan, plan
