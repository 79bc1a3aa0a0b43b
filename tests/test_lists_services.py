"""Lists and tags of the book: static and smart lists, members, tags, the filter
parameters, bulk actions (inline and as a job) and the "Went bad" list."""

import pytest
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Contact
from prospecting.models import ListMember
from prospecting.models import WebhookDelivery
from prospecting.services import contacts
from prospecting.services import jobs
from prospecting.services import lists
from prospecting.services import webhooks
from prospecting.services.contacts import ContactFilter
from prospecting.services.errors import Conflict
from prospecting.services.errors import InvalidInput
from prospecting.services.errors import NotFound
from prospecting.services.finder import freshness
from tests import factories


def names(workspace_id: int, where: ContactFilter) -> list[str]:
    rows, _ = contacts.list_contacts(workspace_id, where, per_page=500)
    return [c.name for c in rows]


def test_a_static_list_holds_the_people_added_once_each(workspace):
    ids = factories.make_contacts(workspace.id, 4)
    leads = factories.make_list(workspace.id)
    assert lists.add_members(workspace.id, leads.id, ids[:3]) == 3
    assert lists.add_members(workspace.id, leads.id, ids[1:]) == 1
    assert lists.count_members(leads) == 4
    assert lists.remove_members(workspace.id, leads.id, [ids[0], 10**6]) == 1
    assert names(workspace.id, ContactFilter(list_id=leads.id)) == [
        "Person 0001",
        "Person 0002",
        "Person 0003",
    ]


def test_a_smart_list_is_its_saved_filter_evaluated_when_read(workspace):
    factories.make_contacts(workspace.id, 2, email_verdict="valid")
    contacts.add_contact(
        workspace.id, name="Zed", email="zed@example.org", keep_undeliverable=True
    )
    smart = factories.make_list(
        workspace.id, "Unverified", "smart", filter_values={"verdict": "unverified"}
    )
    assert smart.filter == {"verdict": "unverified"}
    assert names(workspace.id, ContactFilter(list_id=smart.id)) == ["Zed"]
    contacts.add_contact(workspace.id, name="Yan", email="yan@example.org")
    assert lists.count_members(smart) == 2


def test_a_smart_list_refuses_an_unknown_or_bad_filter_naming_the_field(workspace):
    with pytest.raises(InvalidInput) as bad:
        factories.make_list(workspace.id, "X", "smart", filter_values={"colour": "red"})
    assert bad.value.details == {"field": "colour"}
    with pytest.raises(InvalidInput) as bad:
        factories.make_list(
            workspace.id, "X", "smart", filter_values={"company_id": "abc"}
        )
    assert bad.value.details == {"field": "company_id"}
    with pytest.raises(InvalidInput) as bad:
        factories.make_list(workspace.id, "X", "smart", filter_values={"verdict": "x"})
    assert bad.value.code == "bad_verdict"


def test_a_smart_list_cannot_nest_another_smart_list(workspace):
    inner = factories.make_list(workspace.id, "A", "smart", filter_values={"q": "a"})
    with pytest.raises(InvalidInput) as bad:
        factories.make_list(
            workspace.id, "B", "smart", filter_values={"list_id": inner.id}
        )
    assert bad.value.details == {"field": "list_id"}


def test_list_names_are_unique_in_a_workspace_and_required(workspace):
    factories.make_list(workspace.id, "Leads")
    with pytest.raises(InvalidInput) as bad:
        factories.make_list(workspace.id, "leads")
    assert bad.value.code == "duplicate_name"
    with pytest.raises(InvalidInput):
        factories.make_list(workspace.id, "   ")


def test_another_workspaces_list_is_not_found(workspace, other_workspace):
    theirs = factories.make_list(other_workspace.id, "Theirs")
    with pytest.raises(NotFound):
        lists.get_list(workspace.id, theirs.id)
    assert names(workspace.id, ContactFilter(list_id=theirs.id)) == []


def test_adding_to_a_smart_list_is_refused(workspace):
    ids = factories.make_contacts(workspace.id, 1)
    smart = factories.make_list(workspace.id, "S", "smart", filter_values={"q": "x"})
    with pytest.raises(InvalidInput) as bad:
        lists.add_members(workspace.id, smart.id, ids)
    assert bad.value.code == "smart_list"


def test_tags_filter_the_book_and_are_cleaned(workspace):
    ids = factories.make_contacts(workspace.id, 3)
    assert lists.tag_contacts(workspace.id, ids[:2], "  Trade   show ") == 2
    assert lists.tag_contacts(workspace.id, ids[:2], "Trade show") == 0
    assert names(workspace.id, ContactFilter(tag="Trade show")) == [
        "Person 0000",
        "Person 0001",
    ]
    assert lists.untag_contacts(workspace.id, ids, "Trade show") == 2
    assert lists.tags_in_use(workspace.id) == []
    with pytest.raises(InvalidInput):
        lists.tag_contacts(workspace.id, ids, "x" * 61)


def test_company_tags_replace_the_old_ones(workspace):
    globex = contacts.company_for(workspace.id, name="Globex")
    lists.set_company_tags(workspace.id, globex.id, ["target", "eu"])
    assert lists.company_tags(globex.id) == ["eu", "target"]
    lists.set_company_tags(workspace.id, globex.id, ["target"])
    assert lists.company_tags(globex.id) == ["target"]


def test_deleting_a_contact_takes_it_off_lists_and_tags(workspace):
    ids = factories.make_contacts(workspace.id, 2)
    leads = factories.make_list(workspace.id)
    lists.add_members(workspace.id, leads.id, ids)
    lists.tag_contacts(workspace.id, ids, "vip")
    contacts.delete_contact(workspace.id, ids[0])
    assert lists.count_members(leads) == 1
    assert lists.tags_in_use(workspace.id) == [("vip", 1)]


def test_a_members_change_emits_list_updated(workspace):
    webhooks.add_endpoint(workspace.id, "http://127.0.0.1:9/hook", ["list.updated"])
    ids = factories.make_contacts(workspace.id, 2)
    leads = factories.make_list(workspace.id)
    lists.add_members(workspace.id, leads.id, ids)
    lists.add_members(workspace.id, leads.id, ids)  # nothing new: no event
    (delivery,) = db.session.scalars(select(WebhookDelivery)).all()
    assert delivery.event == "list.updated"
    assert '"added":2' in delivery.body and f'"id":{leads.id}' in delivery.body


def test_a_small_bulk_action_runs_inline(workspace):
    ids = factories.make_contacts(workspace.id, 3)
    leads = factories.make_list(workspace.id)
    outcome = lists.run(workspace.id, None, ids, action="add", list_id=leads.id)
    assert outcome.job is None and outcome.count == 3
    assert "Added 3 contacts" in outcome.message


def test_a_large_bulk_action_is_a_job_with_a_batch_per_chunk(workspace, monkeypatch):
    monkeypatch.setattr("prospecting.services.lists.bulk.INLINE_LIMIT", 2)
    monkeypatch.setattr("prospecting.services.lists.members.CHUNK", 2)
    ids = factories.make_contacts(workspace.id, 5)
    outcome = lists.run(workspace.id, None, ids, action="tag", tag="big")
    assert outcome.job is not None and outcome.job.progress_total == 5
    for batch_id, _ in jobs.open_batches(outcome.job.id):
        factories.run_batch(batch_id)
    job = jobs.get(workspace.id, outcome.job.id)
    assert job.status == "completed" and job.success_count == 5
    assert lists.tags_in_use(workspace.id) == [("big", 5)]


def test_bulk_delete_removes_contacts_from_the_book(workspace):
    ids = factories.make_contacts(workspace.id, 3)
    outcome = lists.run(workspace.id, None, ids[:2], action="delete")
    assert outcome.count == 2
    assert db.session.scalars(select(Contact.id)).all() == [ids[2]]


def test_a_bulk_action_names_its_bad_argument(workspace):
    ids = factories.make_contacts(workspace.id, 1)
    with pytest.raises(InvalidInput) as bad:
        lists.run(workspace.id, None, ids, action="add")
    assert bad.value.details == {"field": "list_id"}
    with pytest.raises(InvalidInput) as bad:
        lists.run(workspace.id, None, ids, action="explode")
    assert bad.value.details == {"field": "action"}


def test_bulk_reverify_starts_the_freshness_job_for_the_selection_only(workspace):
    ids = factories.make_contacts(workspace.id, 3)
    outcome = lists.run(workspace.id, None, ids[:2], action="reverify")
    assert outcome.job.kind == freshness.KIND
    assert outcome.job.progress_total == 2
    with pytest.raises(Conflict):
        lists.run(workspace.id, None, ids, action="reverify")


def test_the_selection_by_filter_is_every_matching_contact(workspace):
    ids = factories.make_contacts(workspace.id, 3)
    lists.tag_contacts(workspace.id, ids[1:], "vip")
    where = lists.filters.from_dict({"tag": "vip"})
    assert lists.selected_ids(workspace.id, where=where) == ids[1:]
    assert lists.selected_ids(workspace.id, ids=[ids[0], 10**6]) == [ids[0]]


def test_went_bad_people_are_gathered_in_the_builtin_smart_list(workspace):
    ids = factories.make_contacts(workspace.id, 2)
    db.session.get(Contact, ids[1]).email_bad = True
    went_bad = lists.ensure_went_bad(workspace.id)
    db.session.commit()
    assert lists.ensure_went_bad(workspace.id).id == went_bad.id
    assert names(workspace.id, ContactFilter(list_id=went_bad.id)) == ["Person 0001"]
    with pytest.raises(Conflict):
        lists.delete_list(workspace.id, went_bad.id)


def test_a_reverification_that_finds_bad_addresses_creates_the_went_bad_list(
    workspace,
):
    from prospecting.services.lists.kinds import went_bad_ended

    job = factories.make_job(workspace.id, kind=freshness.KIND, status="completed")
    job.failed_count = 1
    went_bad_ended(job)
    db.session.commit()
    (found, _), *_ = lists.lists_of(workspace.id)
    assert found.builtin == lists.WENT_BAD and found.name == "Went bad"


def test_members_rows_go_with_their_list(workspace):
    ids = factories.make_contacts(workspace.id, 1)
    leads = factories.make_list(workspace.id)
    lists.add_members(workspace.id, leads.id, ids)
    lists.delete_list(workspace.id, leads.id)
    assert db.session.scalars(select(ListMember)).all() == []


def test_a_real_reverification_gathers_who_went_bad_in_the_went_bad_list(workspace):
    contacts.add_contact(workspace.id, name="Jane Doe", email="jdoe@northwind.io")
    contacts.add_contact(workspace.id, name="Gone Away", email="gone.away@northwind.io")
    job = freshness.start(workspace.id, conditions={})
    for batch_id, _ in jobs.open_batches(job.id):
        factories.run_batch(batch_id)
    assert jobs.get(workspace.id, job.id).failed_count == 1
    ((went_bad, size),) = lists.lists_of(workspace.id)
    assert went_bad.builtin == lists.WENT_BAD and size == 1
    assert names(workspace.id, ContactFilter(list_id=went_bad.id)) == ["Gone Away"]
