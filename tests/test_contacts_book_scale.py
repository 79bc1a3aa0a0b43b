"""The book's pages stay bounded at any size: capped counts, paginated companies
and stats, related rows loaded once per page."""

import re

from sqlalchemy import event

from prospecting.extensions import db
from prospecting.services import contacts
from prospecting.services.contacts import query
from tests.factories import make_contact


def test_the_count_shows_a_plus_past_the_cap_and_the_pager_goes_on(
    auth_client, app, workspace, monkeypatch
):
    monkeypatch.setattr(query, "COUNT_CAP", 3)
    app.config["RESULTS_PER_PAGE"] = 2
    for n in range(5):
        make_contact(workspace.id, f"P{n}", f"p{n}@example.com")
    page = auth_client.get("/contacts/?page=2").get_data(as_text=True)
    assert "3+ contacts" in page
    assert re.search(r'id="next-page" href="/contacts/\?page=3"', page)
    assert "Page 2 of 2+" in page
    last = auth_client.get("/contacts/?page=3").get_data(as_text=True)
    assert "P4" in last


def test_the_companies_page_is_paginated_and_keeps_its_search(
    auth_client, app, workspace
):
    app.config["RESULTS_PER_PAGE"] = 2
    for n in range(5):
        contacts.save_company(workspace.id, name=f"Firm {n}")
    contacts.save_company(workspace.id, name="Other")
    page = auth_client.get("/contacts/companies?q=firm").get_data(as_text=True)
    assert "5 companies" in page and "Firm 1" in page and "Firm 2" not in page
    assert re.search(r'href="/contacts/companies\?q=firm&amp;page=2"', page)
    third = auth_client.get("/contacts/companies?q=firm&page=3").get_data(as_text=True)
    assert "Firm 4" in third and "Next" not in third


def test_the_stats_page_counts_a_page_of_companies_at_a_time(
    auth_client, app, workspace
):
    app.config["RESULTS_PER_PAGE"] = 2
    for n in range(3):
        firm = contacts.save_company(workspace.id, name=f"Firm {n}")
        make_contact(workspace.id, f"P{n}", f"p{n}@example.com", company=firm)
        make_contact(workspace.id, f"Q{n}", f"q{n}@example.com", company=firm)
    make_contact(workspace.id, "Solo", "solo@example.com")
    contacts.save_company(workspace.id, name="Empty firm")
    rows, more = contacts.stats_page(workspace.id, per_page=2)
    assert [(r.name, r.total, r.pending) for r in rows] == [
        ("No company", 1, 1),
        ("Firm 0", 2, 2),
        ("Firm 1", 2, 2),
    ]
    assert more
    second = auth_client.get("/contacts/sync/stats?page=2").get_data(as_text=True)
    assert "Firm 2" in second and "Empty firm" not in second
    assert "No company" not in second and "Next" not in second


def test_a_page_of_the_book_loads_its_related_rows_in_a_fixed_number_of_queries(
    auth_client, app, workspace
):
    def queries_for(n: int) -> int:
        firm = contacts.save_company(workspace.id, name=f"Firm of {n}")
        for i in range(n):
            make_contact(workspace.id, f"N{n}-{i}", f"n{n}-{i}@x.com", company=firm)
        seen = []

        def count(*args):
            seen.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = auth_client.get(f"/contacts/?company_name=Firm+of+{n}")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert response.status_code == 200
        return len(seen)

    queries_for(1)  # the first request of a session loads more (the user, ...)
    assert queries_for(2) == queries_for(8)
