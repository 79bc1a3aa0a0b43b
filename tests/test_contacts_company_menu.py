"""The company menu of the contact forms stays small at any number of companies:
the first companies by name, the chosen one, and a search for the others."""

import re

from sqlalchemy import insert

from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models import Contact
from prospecting.models.base import utcnow
from prospecting.services import contacts
from prospecting.services.contacts import ContactInput
from prospecting.services.contacts.companies import CHOICES


def _companies(workspace_id: int, n: int) -> None:
    now = utcnow()
    db.session.execute(
        insert(Company),
        [
            {
                "workspace_id": workspace_id,
                "name": f"Company {i:04d}",
                "name_key": f"company{i:04d}",
                "domain": f"company{i:04d}.com",
                "sync_failed": False,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(n)
        ],
    )
    db.session.commit()


def _options(page: str) -> list[str]:
    select = re.search(r'<select[^>]*id="company_id".*?</select>', page, re.S)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(0))


def test_the_new_contact_form_offers_a_few_companies_and_a_search(
    auth_client, workspace
):
    _companies(workspace.id, CHOICES + 250)
    page = auth_client.get("/contacts/new").get_data(as_text=True)
    options = _options(page)
    assert options[0] == "No company" and len(options) == CHOICES + 1
    assert options[1] == "Company 0000"
    assert 'id="company_q"' in page and "/contacts/company-options" in page


def test_a_workspace_with_few_companies_gets_the_menu_without_a_search(
    auth_client, workspace
):
    _companies(workspace.id, 3)
    page = auth_client.get("/contacts/new").get_data(as_text=True)
    assert _options(page) == [
        "No company",
        "Company 0000",
        "Company 0001",
        "Company 0002",
    ]
    assert 'id="company_q"' not in page


def test_the_edit_form_keeps_the_contacts_company_beyond_the_first_ones(
    auth_client, workspace
):
    _companies(workspace.id, CHOICES + 250)
    last = db.session.query(Company).filter_by(name="Company 0299").one()
    (item,) = contacts.upsert_contacts(
        workspace.id, [ContactInput(email="a@x.io", company_id=last.id)]
    ).items
    page = auth_client.get(f"/contacts/{item.contact_id}/edit").get_data(as_text=True)
    assert "Company 0299" in _options(page)
    assert f'<option selected value="{last.id}">' in page


def test_the_search_swaps_in_the_matching_companies_keeping_the_chosen_one(
    auth_client, workspace
):
    _companies(workspace.id, CHOICES + 250)
    chosen = db.session.query(Company).filter_by(name="Company 0007").one()
    response = auth_client.get(
        f"/contacts/company-options?company_q=0123.com&company_id={chosen.id}"
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.strip().startswith("<select") and 'id="company_id"' in html
    assert _options(html) == ["No company", "Company 0007", "Company 0123"]


def test_a_company_found_by_the_search_is_saved_on_the_contact(auth_client, workspace):
    _companies(workspace.id, CHOICES + 250)
    far = db.session.query(Company).filter_by(name="Company 0250").one()
    saved = auth_client.post(
        "/contacts/new", data={"email": "far@x.io", "company_id": str(far.id)}
    )
    assert saved.status_code == 302
    contact = db.session.query(Contact).filter_by(email="far@x.io").one()
    assert contact.company_id == far.id


def test_another_workspaces_company_is_never_offered(auth_client, other_workspace):
    _companies(other_workspace.id, 2)
    theirs = db.session.query(Company).filter_by(workspace_id=other_workspace.id)
    html = auth_client.get(
        f"/contacts/company-options?company_id={theirs.first().id}"
    ).get_data(as_text=True)
    assert _options(html) == ["No company"]
