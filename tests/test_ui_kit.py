"""The UI kit's server side: labels shown as written, the navigation with the
current page marked and a menu button, and the shared macros (pager, sortable
header, badge in one case, empty state)."""

from pathlib import Path

from flask import render_template_string

from prospecting.labels import field_label

ROOT = Path(__file__).resolve().parents[1]
MACROS = (
    '{% from "macros/ui.html" import badge, empty_state, sort_header %}'
    '{% from "macros/links.html" import pager %}'
)


class FakePage:
    page, pages, total, per_page = 2, 3, 55, 20
    has_prev = has_next = True
    prev_num, next_num = 1, 3


def test_field_names_become_labels_with_their_acronyms_as_written():
    assert field_label("linkedin_url") == "LinkedIn URL"
    assert field_label("din") == "DIN"
    assert field_label("registration_number") == "Registration number"
    assert field_label("email") == "Email"


def test_no_stylesheet_rewrites_the_case_of_labels():
    css = (ROOT / "static" / "css" / "app.css").read_text()
    assert "capitalize" not in css and "uppercase" not in css


def test_the_add_contact_form_shows_its_labels_as_written(auth_client):
    body = auth_client.get("/contacts/new").get_data(as_text=True)
    assert "<span>LinkedIn profile</span>" in body
    assert "Linkedin Url" not in body and "linkedin url" not in body


def test_the_navigation_marks_the_current_page_and_has_a_menu_button(auth_client):
    body = auth_client.get("/outreach/").get_data(as_text=True)
    assert 'class="menu-button" aria-expanded="false"' in body
    assert 'href="/outreach/" aria-current="page">Outreach</a>' in body
    assert '<nav class="tabs" id="outreach-tabs">' in body
    assert 'href="/outreach/" aria-current="page">Creators</a>' in body
    assert "/static/js/kit.js" in body


def test_the_pager_keeps_the_filters_and_says_where_it_is(app):
    with app.test_request_context("/outreach/samples?status=shipped&page=2"):
        html = render_template_string(
            MACROS + "{{ pager(page, show_total=True) }}", page=FakePage()
        )
    assert "Page 2 of 3 (55)" in html
    assert 'href="/outreach/samples?status=shipped&amp;page=1" rel="prev"' in html
    assert 'id="next-page" href="/outreach/samples?status=shipped&amp;page=3"' in html
    assert 'rel="next"' in html


def test_a_sortable_header_sorts_the_other_way_when_sorted_by_it(app):
    source = MACROS + "{{ sort_header('Name', 'name', sort) }}"
    with app.test_request_context("/outreach/samples?page=3"):
        unsorted = render_template_string(source, sort="")
        ascending = render_template_string(source, sort="name")
        descending = render_template_string(source, sort="-name")
    assert "aria-sort" not in unsorted and "sort=name" in unsorted
    assert "page=" not in unsorted  # a new order starts on its first page
    assert 'aria-sort="ascending"' in ascending and "sort=-name" in ascending
    assert 'aria-sort="descending"' in descending and "sort=name" in descending


def test_badges_and_empty_states_read_the_same_everywhere(app):
    with app.test_request_context("/"):
        html = render_template_string(
            MACROS
            + "{{ badge('COMPLETED') }}{{ empty_state('No rules.', '/x', 'Add one') }}"
        )
    assert '<span class="badge badge-completed">completed</span>' in html
    assert (
        'class="empty-state"' in html
        and '<a class="button primary" href="/x">Add one</a>' in html
    )
