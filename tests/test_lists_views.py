"""The lists pages and bulk actions from the book's tables."""

from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import Job
from prospecting.services import contacts
from prospecting.services import jobs
from prospecting.services import lists
from prospecting.services.finder import freshness
from tests import factories


def bulk(auth_client, **form):
    data = {"scope": "selected", "next": "/contacts/", **form}
    return auth_client.post("/lists/bulk", data=data)


def test_the_lists_page_shows_each_list_with_its_size(auth_client, workspace):
    ids = factories.make_contacts(workspace.id, 2)
    leads = factories.make_list(workspace.id)
    lists.add_members(workspace.id, leads.id, ids)
    page = auth_client.get("/lists/").get_data(as_text=True)
    assert f'id="list-{leads.id}"' in page and "<td>2</td>" in page


def test_a_new_list_is_created_and_shown(auth_client, workspace):
    response = auth_client.post("/lists/", data={"name": "Q1 leads", "kind": "static"})
    assert response.status_code == 302
    page = auth_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Q1 leads" in page and "Nobody on this list yet" in page


def test_a_list_without_a_name_answers_422_with_the_form(auth_client):
    response = auth_client.post("/lists/", data={"name": "", "kind": "static"})
    assert response.status_code == 422
    assert 'id="new-list"' in response.get_data(as_text=True)


def test_a_smart_list_is_saved_from_the_books_filter(auth_client, workspace):
    factories.make_contacts(workspace.id, 2)
    contacts.add_contact(workspace.id, name="Zed", email="zed@example.org")
    response = auth_client.post(
        "/lists/",
        data={"name": "Unverified", "kind": "smart", "filter": "verdict=unverified"},
    )
    page = auth_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Zed" in page and "Person 0000" not in page
    assert "verdict=unverified" in page


def test_the_book_filters_by_list_and_tag(auth_client, workspace):
    ids = factories.make_contacts(workspace.id, 3)
    leads = factories.make_list(workspace.id)
    lists.add_members(workspace.id, leads.id, ids[:1])
    lists.tag_contacts(workspace.id, ids[1:2], "vip")
    by_list = auth_client.get(f"/contacts/?list={leads.id}").get_data(as_text=True)
    assert "Person 0000" in by_list and "Person 0001" not in by_list
    by_tag = auth_client.get("/contacts/?tag=vip").get_data(as_text=True)
    assert "Person 0001" in by_tag and "Person 0000" not in by_tag


def test_checked_rows_are_added_to_a_list_inline(auth_client, workspace):
    ids = factories.make_contacts(workspace.id, 3)
    leads = factories.make_list(workspace.id)
    response = bulk(
        auth_client, action="add", target_list=leads.id, ids=[str(i) for i in ids[:2]]
    )
    assert response.status_code == 302 and response.headers["Location"] == "/contacts/"
    assert lists.count_members(leads) == 2


def test_all_matching_is_confirmed_with_its_count_before_acting(auth_client, workspace):
    ids = factories.make_contacts(workspace.id, 3)
    lists.tag_contacts(workspace.id, ids[:2], "vip")
    form = {"scope": "all", "filter": "tag=vip", "action": "tag", "tag_name": "hot"}
    confirm = bulk(auth_client, **form)
    assert confirm.status_code == 200
    page = confirm.get_data(as_text=True)
    assert 'id="bulk-count">2<' in page and lists.tags_in_use(workspace.id) == [
        ("vip", 2)
    ]
    done = bulk(auth_client, **form, confirmed="y")
    assert done.status_code == 302
    assert ("hot", 2) in lists.tags_in_use(workspace.id)


def test_this_page_scope_acts_on_the_rows_shown(auth_client, workspace):
    ids = factories.make_contacts(workspace.id, 3)
    bulk(
        auth_client,
        scope="page",
        page_ids=",".join(map(str, ids[:2])),
        action="tag",
        tag_name="p1",
    )
    assert lists.tags_in_use(workspace.id) == [("p1", 2)]


def test_delete_is_confirmed_then_removes_contacts(auth_client, workspace):
    ids = factories.make_contacts(workspace.id, 2)
    confirm = bulk(auth_client, action="delete", ids=[str(ids[0])])
    assert "Deleted contacts leave the book" in confirm.get_data(as_text=True)
    bulk(auth_client, action="delete", ids=[str(ids[0])], confirmed="y")
    assert db.session.scalars(select(Contact.id)).all() == [ids[1]]


def test_reverify_shows_its_estimate_then_starts_the_job(auth_client, workspace):
    ids = factories.make_contacts(workspace.id, 2)
    confirm = bulk(auth_client, action="reverify", ids=[str(i) for i in ids])
    assert 'id="bulk-estimate"' in confirm.get_data(as_text=True)
    started = bulk(
        auth_client, action="reverify", ids=[str(i) for i in ids], confirmed="y"
    )
    job_id = started.headers["Location"].rsplit("/", 1)[1]
    job = jobs.get(workspace.id, job_id, kind=freshness.KIND)
    assert job.progress_total == 2


def test_a_bulk_action_missing_its_list_says_so(auth_client, workspace):
    ids = factories.make_contacts(workspace.id, 1)
    response = bulk(auth_client, action="add", ids=[str(ids[0])])
    assert response.status_code == 302
    page = auth_client.get("/contacts/").get_data(as_text=True)
    assert "list_id: choose a list." in page


def test_export_of_checked_rows_downloads_only_them(auth_client, workspace):
    ids = factories.make_contacts(workspace.id, 3)
    response = bulk(auth_client, action="export", ids=[str(ids[1])])
    assert response.status_code == 303
    download = auth_client.get(response.headers["Location"])
    text = download.get_data(as_text=True)
    assert "person1@example.com" in text and "person0@example.com" not in text


def test_a_list_is_exported_as_csv_and_xlsx(auth_client, workspace):
    ids = factories.make_contacts(workspace.id, 3)
    leads = factories.make_list(workspace.id)
    lists.add_members(workspace.id, leads.id, ids[:2])
    csv = auth_client.get(f"/lists/{leads.id}/export?format=csv&columns=email")
    assert csv.get_data(as_text=True).splitlines()[1:] == [
        '"person0@example.com"',
        '"person1@example.com"',
    ]
    xlsx = auth_client.get(f"/lists/{leads.id}/export?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_a_lists_reverify_starts_the_freshness_job_for_its_people(
    auth_client, workspace
):
    ids = factories.make_contacts(workspace.id, 3)
    leads = factories.make_list(workspace.id)
    lists.add_members(workspace.id, leads.id, ids[:2])
    response = auth_client.post(f"/lists/{leads.id}/reverify")
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    assert jobs.get(workspace.id, job_id, kind=freshness.KIND).progress_total == 2


def test_a_lists_sync_without_airtable_says_so(auth_client, workspace):
    ids = factories.make_contacts(workspace.id, 1)
    leads = factories.make_list(workspace.id)
    lists.add_members(workspace.id, leads.id, ids)
    response = auth_client.post(f"/lists/{leads.id}/sync", follow_redirects=True)
    assert response.status_code == 200
    assert "Airtable" in response.get_data(as_text=True)


def test_contact_and_company_tags_are_set_from_their_pages(auth_client, workspace):
    ids = factories.make_contacts(workspace.id, 1)
    auth_client.post(f"/lists/contacts/{ids[0]}/tags", data={"tags": "vip, eu"})
    assert lists.contact_tags(ids[0]) == ["eu", "vip"]
    assert "vip" in auth_client.get(f"/contacts/{ids[0]}").get_data(as_text=True)
    globex = contacts.company_for(workspace.id, name="Globex")
    auth_client.post(f"/lists/companies/{globex.id}/tags", data={"tags": "target"})
    assert lists.company_tags(globex.id) == ["target"]


def test_another_workspaces_list_is_404(auth_client, other_workspace):
    theirs = factories.make_list(other_workspace.id, "Theirs")
    assert auth_client.get(f"/lists/{theirs.id}").status_code == 404


def test_a_list_is_renamed_and_deleted(auth_client, workspace):
    leads = factories.make_list(workspace.id)
    auth_client.post(f"/lists/{leads.id}/rename", data={"name": "Renamed"})
    assert lists.get_list(workspace.id, leads.id).name == "Renamed"
    auth_client.post(f"/lists/{leads.id}/delete")
    assert lists.lists_of(workspace.id) == []


def test_a_results_tables_people_go_through_the_gate_onto_a_list(
    auth_client, workspace
):
    leads = factories.make_list(workspace.id)
    job = factories.start_enrichment(auth_client, factories.contacts_csv(3))
    page = auth_client.get(f"/enrichment/jobs/{job.id}").get_data(as_text=True)
    assert f'id="import-to-list-{job.id}"' in page
    response = auth_client.post(
        f"/lists/import/{job.id}", data={"target_list": leads.id}
    )
    assert response.headers["Location"].endswith("/import")
    imported = contacts.list_contacts(workspace.id, contacts.ContactFilter())[1]
    assert imported and lists.count_members(leads) == imported


def test_importing_another_kind_of_job_to_a_list_is_404(auth_client, workspace):
    leads = factories.make_list(workspace.id)
    job = factories.make_job(workspace.id, kind="lists_bulk")
    response = auth_client.post(
        f"/lists/import/{job.id}", data={"target_list": leads.id}
    )
    assert response.status_code == 404


def test_a_large_bulk_action_runs_as_a_job_with_its_progress_page(
    auth_client, workspace, monkeypatch
):
    monkeypatch.setattr("prospecting.services.lists.bulk.INLINE_LIMIT", 2)
    ids = factories.make_contacts(workspace.id, 3)
    leads = factories.make_list(workspace.id)
    response = bulk(
        auth_client, action="add", target_list=leads.id, ids=[str(i) for i in ids]
    )
    assert "/lists/jobs/" in response.headers["Location"]
    page = auth_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Add to list: 3 contacts" in page
    assert lists.count_members(leads) == 3


def _emails_on(leads) -> list[str]:
    ids = db.session.scalars(lists.member_ids_query(leads)).all()
    return sorted(db.session.get(Contact, i).email for i in ids)


def _row_emails(job_id, numbers) -> list[str]:
    from prospecting.models import EnrichmentRow

    return sorted(
        db.session.scalars(
            select(EnrichmentRow.email_normalized).where(
                EnrichmentRow.job_id == job_id, EnrichmentRow.row_number.in_(numbers)
            )
        )
    )


def test_checked_results_rows_and_only_they_go_onto_a_list(auth_client, workspace):
    leads = factories.make_list(workspace.id)
    job = factories.start_enrichment(auth_client, factories.contacts_csv(5))
    # Everyone is in the book already: the list still takes only the rows checked.
    auth_client.post(f"/contacts/import/enrichment/{job.id}")
    page = auth_client.get(f"/enrichment/jobs/{job.id}").get_data(as_text=True)
    assert f'form="import-to-list-{job.id}" name="row_ids" value="3"' in page
    assert "add all 5 rows" in page
    response = auth_client.post(
        f"/lists/import/{job.id}",
        data={"target_list": leads.id, "scope": "selected", "row_ids": ["1", "3"]},
    )
    assert response.status_code == 302
    assert _emails_on(leads) == _row_emails(job.id, [1, 3])


def test_this_page_of_results_goes_onto_a_list(auth_client, workspace):
    leads = factories.make_list(workspace.id)
    job = factories.start_enrichment(auth_client, factories.contacts_csv(4))
    auth_client.post(
        f"/lists/import/{job.id}",
        data={"target_list": leads.id, "scope": "page", "page_ids": "2,4"},
    )
    assert _emails_on(leads) == _row_emails(job.id, [2, 4])


def test_no_checked_row_is_refused_and_nothing_starts(auth_client, workspace):
    leads = factories.make_list(workspace.id)
    job = factories.start_enrichment(auth_client, factories.contacts_csv(2))
    response = auth_client.post(
        f"/lists/import/{job.id}",
        data={"target_list": leads.id, "scope": "selected"},
        follow_redirects=True,
    )
    assert b"Check the rows to add first" in response.data
    assert not db.session.scalars(
        select(Job).where(Job.kind == contacts.KIND_IMPORT)
    ).all()


def test_all_matching_rows_need_their_count_confirmed_and_follow_the_filter(
    auth_client, workspace
):
    from prospecting.models import EnrichmentRow

    leads = factories.make_list(workspace.id)
    job = factories.start_enrichment(auth_client, factories.contacts_csv(6))
    rows = db.session.scalars(
        select(EnrichmentRow).where(EnrichmentRow.job_id == job.id)
    ).all()
    for row in rows[:2]:
        row.email_verdict = "risky"
    db.session.commit()
    page = auth_client.get(f"/enrichment/jobs/{job.id}?verdict=risky")
    assert 'name="confirm_count" value="2"' in page.get_data(as_text=True)
    form = {"target_list": leads.id, "scope": "all", "verdict": "risky"}
    refused = auth_client.post(
        f"/lists/import/{job.id}", data=form, follow_redirects=True
    )
    assert b"confirm adding all 2 matching rows" in refused.data
    stale = auth_client.post(
        f"/lists/import/{job.id}", data={**form, "confirm_count": 6}
    )
    assert stale.status_code == 302 and lists.count_members(leads) == 0
    auth_client.post(
        f"/lists/import/{job.id}",
        data={**form, "confirm_count": 2, "include_risky": "y"},
    )
    assert _emails_on(leads) == _row_emails(job.id, [r.row_number for r in rows[:2]])


def test_checked_prospects_go_onto_a_list(auth_client, workspace):
    from prospecting.models import Prospect

    leads = factories.make_list(workspace.id)
    job = factories.make_job(
        workspace.id,
        kind="prospect_search",
        status="completed",
        params={"api": "classic", "target": 3, "criteria": {}},
    )
    found = [
        Prospect(
            job_id=job.id,
            batch=0,
            provider_id=f"p{i}",
            name=f"P {i}",
            linkedin_url=f"https://www.linkedin.com/in/p-{i}",
        )
        for i in range(3)
    ]
    db.session.add_all(found)
    db.session.commit()
    page = auth_client.get(f"/prospects/jobs/{job.id}").get_data(as_text=True)
    assert f'name="row_ids" value="{found[1].id}"' in page
    auth_client.post(
        f"/lists/import/{job.id}",
        data={"target_list": leads.id, "scope": "selected", "row_ids": found[1].id},
    )
    ids = db.session.scalars(lists.member_ids_query(leads)).all()
    assert [db.session.get(Contact, i).linkedin_url for i in ids] == [
        "https://www.linkedin.com/in/p-1"
    ]


def test_this_page_of_people_search_profiles_goes_onto_a_list(auth_client, workspace):
    from prospecting.models import PeopleSearch
    from prospecting.models import PersonProfile

    leads = factories.make_list(workspace.id)
    job = factories.make_job(workspace.id, kind="people_search", status="completed")
    db.session.add(
        PeopleSearch(
            id=job.id, workspace_id=workspace.id, query_filter={}, fetch_count=3
        )
    )
    profiles = [
        PersonProfile(
            search_id=job.id,
            provider_record_id=f"r{i}",
            full_name=f"Found {i}",
            email=f"found{i}@initech.io",
            raw_data={},
        )
        for i in range(3)
    ]
    db.session.add_all(profiles)
    db.session.commit()
    page_ids = f"{profiles[0].id},{profiles[2].id}"
    auth_client.post(
        f"/lists/import/{job.id}",
        data={"target_list": leads.id, "scope": "page", "page_ids": page_ids},
    )
    assert _emails_on(leads) == ["found0@initech.io", "found2@initech.io"]
    assert len(db.session.scalars(select(Contact)).all()) == 2
