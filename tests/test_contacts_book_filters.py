"""Sort and filter on every column of the book, with the table's state in the URL."""

import re
from datetime import datetime

import pytest

from prospecting.extensions import db
from prospecting.services import contacts
from prospecting.services.contacts import ContactFilter
from prospecting.services.errors import InvalidInput
from tests.factories import make_contact


@pytest.fixture
def book(workspace):
    """Three contacts that differ on every column."""
    globex = contacts.company_for(workspace.id, name="Globex Inc.")
    initech = contacts.company_for(workspace.id, name="Initech")
    ada = make_contact(
        workspace.id,
        "Ada Lovelace",
        "ada@globex.com",
        company=globex,
        source="enrichment",
        email_verdict="valid",
        verified_at=datetime(2026, 3, 2, 10),
        created_at=datetime(2026, 1, 5),
    )
    bob = make_contact(
        workspace.id,
        "Bob Byte",
        "bob@initech.com",
        company=initech,
        source="csv",
        email_verdict="risky",
        verified_at=datetime(2026, 5, 1),
        created_at=datetime(2026, 2, 10),
        synced_at=datetime(2030, 1, 1),
    )
    cy = make_contact(
        workspace.id,
        "Cy Young",
        phone="+1 415 555 0150",
        created_at=datetime(2026, 4, 1),
        sync_failed=True,
    )
    return {"ada": ada, "bob": bob, "cy": cy, "globex": globex, "initech": initech}


def names(workspace, **where):
    rows, _, _ = contacts.page_of_contacts(workspace.id, ContactFilter(**where).check())
    return [c.name for c in rows]


@pytest.mark.parametrize(
    "where,expected",
    [
        ({"name": "lovel"}, ["Ada Lovelace"]),
        ({"email": "@INITECH"}, ["Bob Byte"]),
        ({"company_name": "globex"}, ["Ada Lovelace"]),
        ({"verdict": "risky"}, ["Bob Byte"]),
        ({"source": "csv"}, ["Bob Byte"]),
        ({"sync": "failed"}, ["Cy Young"]),
        ({"sync": "synced"}, ["Bob Byte"]),
        ({"created_from": "2026-02-10"}, ["Bob Byte", "Cy Young"]),
        ({"created_to": "2026-02-09"}, ["Ada Lovelace"]),
        (
            {"verified_from": "2026-03-02", "verified_to": "2026-03-02"},
            ["Ada Lovelace"],
        ),
        ({"q": "initech"}, ["Bob Byte"]),
        ({"q": "0150"}, ["Cy Young"]),
        ({"q": "%"}, []),
    ],
)
def test_each_column_filters_the_book(workspace, book, where, expected):
    assert names(workspace, **where) == expected


@pytest.mark.parametrize(
    "sort,expected",
    [
        ("name", ["Ada Lovelace", "Bob Byte", "Cy Young"]),
        ("-name", ["Cy Young", "Bob Byte", "Ada Lovelace"]),
        ("-created", ["Cy Young", "Bob Byte", "Ada Lovelace"]),
        ("company", ["Ada Lovelace", "Bob Byte", "Cy Young"]),
        ("-company", ["Bob Byte", "Ada Lovelace", "Cy Young"]),
        ("verdict", ["Bob Byte", "Ada Lovelace", "Cy Young"]),
        ("-verified", ["Bob Byte", "Ada Lovelace", "Cy Young"]),
        ("source", ["Bob Byte", "Ada Lovelace", "Cy Young"]),
        ("sync", ["Cy Young", "Ada Lovelace", "Bob Byte"]),
    ],
)
def test_each_column_sorts_the_book_with_blanks_last(workspace, book, sort, expected):
    assert names(workspace, sort=sort) == expected


@pytest.mark.parametrize(
    "field,value",
    [
        ("verdict", "great"),
        ("source", "carrier pigeon"),
        ("sync", "later"),
        ("sort", "age"),
        ("created_from", "yesterday"),
        ("verified_to", "2026-13-01"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(field, value):
    with pytest.raises(InvalidInput, match=field):
        ContactFilter(**{field: value}).check()


def test_the_filter_round_trips_through_the_query_string():
    where = ContactFilter.from_args(
        {"q": "a", "company": "7", "created_from": "2026-01-02", "sort": "-company"}
    )
    assert where.to_args() == {
        "q": "a",
        "company": 7,
        "created_from": "2026-01-02",
        "sort": "-company",
    }
    assert ContactFilter.from_args(where.to_args()) == where


def test_the_page_keeps_every_parameter_in_its_links(auth_client, book):
    state = "source=csv&verdict=risky&created_from=2026-01-01&q=b"
    page = auth_client.get(f"/contacts/?{state}&sort=-created").get_data(as_text=True)
    assert 'id="contact-{}"'.format(book["bob"].id) in page
    headers = re.findall(r'<th[^>]*><a href="([^"]+)"', page)
    assert len(headers) == 8
    for href in headers:
        for part in ("source=csv", "verdict=risky", "created_from=2026-01-01", "q=b"):
            assert part in href.replace("&amp;", "&")
    # The column sorted descending flips to ascending; the others sort ascending.
    assert any("sort=created" in h and "sort=-created" not in h for h in headers)
    assert 'value="-created" selected' in page
    assert 'name="created_from" value="2026-01-01"' in page


def test_the_pager_keeps_the_filter_and_sort(auth_client, app, workspace):
    app.config["RESULTS_PER_PAGE"] = 2
    for n in range(5):
        make_contact(workspace.id, f"P{n}", f"p{n}@example.com", source="csv")
    page = auth_client.get("/contacts/?source=csv&sort=-name").get_data(as_text=True)
    (next_link,) = re.findall(r'id="next-page" href="([^"]+)"', page)
    assert next_link.replace("&amp;", "&") == "/contacts/?source=csv&sort=-name&page=2"
    second = auth_client.get(next_link.replace("&amp;", "&")).get_data(as_text=True)
    assert "P2" in second and "P4" not in second


def test_a_bad_parameter_is_a_422_naming_it_and_keeps_what_was_typed(auth_client):
    response = auth_client.get("/contacts/?verdict=great&q=ada")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "verdict must be one of" in page
    assert 'name="q" value="ada"' in page


def test_the_company_filter_is_a_search_not_a_menu_of_every_company(
    auth_client, book, monkeypatch
):
    # Counting each company's contacts for a menu costs a query per company at scale.
    def no_counts(*args, **kwargs):
        raise AssertionError("the book's filter listed every company")

    monkeypatch.setattr(contacts, "company_choices", no_counts)
    monkeypatch.setattr(contacts, "page_companies", no_counts)
    page = auth_client.get("/contacts/?company_name=glob").get_data(as_text=True)
    assert 'name="company_name" value="glob"' in page
    assert '<select name="company"' not in page
    assert "Ada Lovelace" in page and "Bob Byte" not in page
    chosen = auth_client.get(f"/contacts/?company={book['initech'].id}")
    assert 'id="company-chosen"' in chosen.get_data(as_text=True)


def test_the_api_lists_with_the_same_filters_and_sorts(client, api_headers, book):
    body = client.get(
        "/api/v1/contacts?sync=synced&email=initech&sort=-verified",
        headers=api_headers,
    ).get_json()
    assert [c["name"] for c in body["results"]] == ["Bob Byte"]
    bad = client.get("/api/v1/contacts?created_to=soon", headers=api_headers)
    assert bad.status_code == 422
    assert "created_to" in bad.get_json()["error"]["message"]


def test_the_count_stops_at_the_cap(workspace, book, monkeypatch):
    stmt = contacts.contacts_query(workspace.id, ContactFilter())
    assert contacts.query.capped_count(stmt, cap=2) == (2, True)
    assert contacts.query.capped_count(stmt, cap=3) == (3, False)


@pytest.mark.parametrize("sort", ["name", "-name", "-created", "verdict", "company"])
def test_each_page_of_a_search_is_that_slice_of_the_whole_result(workspace, sort):
    zeta = contacts.company_for(workspace.id, name="Zeta Labs")
    for n in range(9):
        make_contact(
            workspace.id,
            f"Person {n}" if n % 3 else f"Zed {n}",
            f"z{n}@example.com" if n % 2 else f"p{n}@example.com",
            company=zeta if n % 4 == 0 else None,
            source="csv" if n != 5 else "manual",
            email_verdict=("valid", "risky", None)[n % 3],
            created_at=datetime(2026, 1, 1 + n),
        )
    where = ContactFilter(q="z", source="csv", sort=sort).check()
    whole = [
        c.id for c in db.session.scalars(contacts.contacts_query(workspace.id, where))
    ]
    assert len(whole) == 7
    pages = [
        [
            c.id
            for c in contacts.page_of_contacts(workspace.id, where, page=p, per_page=2)[
                0
            ]
        ]
        for p in (1, 2, 3, 4)
    ]
    assert pages == [whole[0:2], whole[2:4], whole[4:6], whole[6:]]


def _export_link(page: str) -> str:
    """The URL the book's Export form sends: its action and hidden fields, with
    the email column as raw CSV."""
    (form,) = re.findall(
        r'<details class="export-options" id="contacts-export"[^>]*>.*?</form>',
        page,
        re.S,
    )
    (action,) = re.findall(r'<form method="get" action="([^"]+)"', form)
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)
    query = "&".join(f"{k}={v}" for k, v in [*hidden, ("columns", "email")])
    return f"{action}?{query}&mode=raw".replace("&amp;", "&")


def _exported_emails(auth_client, link: str) -> list[str]:
    response = auth_client.get(link)
    assert response.status_code == 200
    return response.get_data(as_text=True).split("\r\n")[1:-1]


def test_the_books_export_link_exports_what_the_filtered_book_lists(
    auth_client, workspace, book
):
    from prospecting.services import lists

    ada, bob, cy = book["ada"], book["bob"], book["cy"]
    cy.email = "cy@young.test"
    db.session.commit()
    lists.tag_contacts(workspace.id, [ada.id, cy.id], "vip")
    fair = lists.create_list(workspace.id, "Fair")
    lists.add_members(workspace.id, fair.id, [bob.id, cy.id])
    cases = [
        ("tag=vip", ["ada@globex.com", "cy@young.test"]),
        (f"list={fair.id}", ["bob@initech.com", "cy@young.test"]),
        (f"list={fair.id}&tag=vip", ["cy@young.test"]),
        ("tag=vip&verdict=valid", ["ada@globex.com"]),
        ("tag=vip&created_from=2026-03-01", ["cy@young.test"]),
    ]
    for state, expected in cases:
        page = auth_client.get(f"/contacts/?{state}").get_data(as_text=True)
        listed = sorted(
            c.email for c in (ada, bob, cy) if f'id="contact-{c.id}"' in page
        )
        assert listed == expected, state
        link = _export_link(page)
        assert sorted(_exported_emails(auth_client, link)) == expected, link
    # A search swaps the table in place: the export beside it follows it.
    swapped = auth_client.get(
        "/contacts/?tag=vip&name=lovelace", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert 'hx-swap-oob="outerHTML"' in swapped
    link = _export_link(swapped)
    assert _exported_emails(auth_client, link) == ["ada@globex.com"]


def test_the_api_export_takes_every_filter_of_the_api_list(
    client, api_headers, workspace, book
):
    from prospecting.services import lists

    ada, bob = book["ada"], book["bob"]
    lists.tag_contacts(workspace.id, [ada.id, bob.id], "vip")
    bob.email_bad = True
    db.session.commit()
    for state, expected in [
        ("tag=vip", ["ada@globex.com", "bob@initech.com"]),
        ("tag=vip&went_bad=1", ["bob@initech.com"]),
        ("tag=vip&source=enrichment", ["ada@globex.com"]),
    ]:
        listed = client.get(f"/api/v1/contacts?{state}", headers=api_headers)
        exported = client.get(
            f"/api/v1/contacts/export?{state}&columns=email&mode=raw",
            headers=api_headers,
        ).get_data(as_text=True)
        assert sorted(c["email"] for c in listed.get_json()["results"]) == expected
        assert sorted(exported.split("\r\n")[1:-1]) == expected, state


def test_the_smart_list_form_follows_the_table_a_search_swaps_in(
    auth_client, workspace, book
):
    from prospecting.services import lists

    lists.tag_contacts(workspace.id, [book["ada"].id, book["bob"].id], "vip")
    swapped = auth_client.get(
        "/contacts/?tag=vip&name=lovelace", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    (form,) = re.findall(
        r'<details class="card" id="save-smart-list" hx-swap-oob="outerHTML">.*?'
        r"</form>",
        swapped,
        re.S,
    )
    (saved,) = re.findall(r'name="filter" value="([^"]*)"', form)
    assert "lovelace" in saved and "vip" in saved
