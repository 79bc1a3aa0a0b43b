"""The one Page type and the one pager macro."""

from flask import render_template_string
from sqlalchemy import select

from prospecting.models import Job
from prospecting.services.pages import Page
from tests import factories

PAGER = '{% from "macros/links.html" import pager %}{{ pager(page, **opts) }}'


def test_page_counts_pages_and_neighbours():
    page = Page(["a", "b"], page=2, per_page=2, total=5)
    assert (page.pages, page.has_prev, page.has_next) == (3, True, True)
    assert (page.prev_num, page.next_num) == (1, 3)
    last = Page(["e"], page=3, per_page=2, total=5)
    assert last.has_next is False and last.next_num is None


def test_an_empty_result_is_one_empty_page_and_zero_api_pages():
    page = Page([], page=1, per_page=50, total=0)
    assert page.pages == 1 and not page.has_next and not page.has_prev
    assert page.pagination() == {
        "page": 1,
        "per_page": 50,
        "total": 0,
        "total_pages": 0,
        "has_more": False,
    }


def test_page_of_select_runs_one_page_and_the_count(app, workspace):
    for _ in range(3):
        factories.make_job(workspace.id)
    stmt = select(Job).where(Job.workspace_id == workspace.id).order_by(Job.id)
    page = Page.of_select(stmt, page=2, per_page=2)
    assert (len(page.items), page.total, page.pages) == (1, 3, 2)
    beyond = Page.of_select(stmt, page=9, per_page=2)
    assert beyond.items == [] and beyond.page == 9


def test_pager_keeps_the_query_string_and_replaces_the_page(app):
    page = Page(["x"], page=2, per_page=1, total=3)
    with app.test_request_context("/outreach/samples?status=shipped&region=us&page=2"):
        html = render_template_string(
            PAGER, page=page, opts={"endpoint": "outreach.samples"}
        )
    assert "Page 2 of 3" in html
    kept = "/outreach/samples?status=shipped&amp;region=us&amp;page=1"
    assert f'id="prev-page" href="{kept}"' in html
    assert "page=3" in html and 'id="next-page"' in html


def test_pager_with_a_fragment_endpoint_links_both(app):
    page = Page(["x"], page=1, per_page=1, total=2)
    with app.test_request_context("/"):
        html = render_template_string(
            PAGER,
            page=page,
            opts={
                "endpoint": "prospects.show",
                "args": {"job_id": "abc"},
                "hx_endpoint": "prospects.table",
                "hx_target": "#prospects-table",
            },
        )
    assert 'href="/prospects/jobs/abc?page=2"' in html
    assert 'hx-get="/prospects/jobs/abc/table?page=2"' in html
    assert 'hx-target="#prospects-table"' in html and "prev-page" not in html


def test_pager_is_hidden_for_a_single_page_unless_always(app):
    single = Page(["x"], page=1, per_page=5, total=1)
    with app.test_request_context("/outreach/samples"):
        assert "pager" not in render_template_string(PAGER, page=single, opts={})
        shown = render_template_string(PAGER, page=single, opts={"always": True})
    assert "Page 1 of 1" in shown


def test_a_capped_count_keeps_the_next_link_and_says_plus(app):
    # The book counts up to a cap: its last counted page may have more after it.
    capped = Page(["x", "y"], page=2, per_page=2, total=4, more=True)
    assert capped.has_next and capped.next_num == 3
    with app.test_request_context("/contacts/?page=2"):
        html = render_template_string(
            PAGER, page=capped, opts={"endpoint": "contacts.index", "args": {}}
        )
    assert "Page 2 of 2+" in html
    assert 'id="next-page" href="/contacts/?page=3"' in html
    beyond = Page([], page=3, per_page=2, total=4, more=True)
    assert not beyond.has_next and beyond.has_prev
