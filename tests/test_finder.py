"""The email finder: pattern ranking from the book, the catch-all stop, the
waterfall per field, the JSON API, the bulk job and freshness."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from prospecting import metering
from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models import Contact
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import ProviderCall
from prospecting.models import WorkspaceBudget
from prospecting.models.base import utcnow
from prospecting.sandbox import faults
from prospecting.services import enrichment
from prospecting.services import finder
from prospecting.services.errors import InvalidInput
from prospecting.services.finder import bulk
from prospecting.services.finder import freshness
from prospecting.services.finder import patterns
from prospecting.services.finder import waterfall
from tests import factories


def _verified(workspace, name, email, verdict="valid", **kw):
    contact = Contact(
        workspace_id=workspace.id,
        name=name,
        email=email,
        email_verdict=verdict,
        email_verified_at=kw.pop("at", utcnow()),
        **kw,
    )
    db.session.add(contact)
    db.session.commit()
    return contact


def _calls(job_id):
    return db.session.scalars(
        select(ProviderCall)
        .where(ProviderCall.job_id == job_id)
        .order_by(ProviderCall.id)
    ).all()


def _batches(job):
    return db.session.scalars(select(JobBatch.id).where(JobBatch.job_id == job.id))


def test_candidates_cover_the_common_patterns():
    built = dict(patterns.candidates("José", "García-Lopez", "acme.com"))
    assert built["first.last"] == "jose.garcialopez@acme.com"
    assert built["flast"] == "jgarcialopez@acme.com"
    assert built["f.last"] == "j.garcialopez@acme.com"
    assert {"first", "firstlast", "first_last", "last.first", "firstl"} <= set(built)
    assert patterns.detect("jdoe", "Jane", "Doe") == "flast"


def test_a_domain_whose_book_uses_flast_tries_flast_first(app, workspace):
    _verified(workspace, "Jane Doe", "jdoe@northwind.io")
    _verified(workspace, "Bob Stone", "bstone@northwind.io")
    result = finder.find_email(
        workspace.id, first_name="John", last_name="Smith", domain="northwind.io"
    )
    assert result.candidates_tried == ["jsmith@northwind.io"]
    assert (result.email, result.pattern, result.verdict) == (
        "jsmith@northwind.io",
        "flast",
        "valid",
    )
    assert result.confidence >= 95


def test_without_the_book_the_usual_order_is_tried_until_one_is_valid(app, workspace):
    _verified(workspace, "Jane Doe", "jdoe@northwind.io", verdict="unknown")
    result = finder.find_email(
        workspace.id, full_name="John Smith", domain="northwind.io"
    )
    assert result.candidates_tried == ["john.smith@northwind.io", "jsmith@northwind.io"]
    assert result.pattern == "flast" and result.confidence < 95


def test_a_catch_all_domain_returns_the_best_candidate_as_risky_without_spending_more(
    app, workspace
):
    job = factories.make_job(workspace.id)
    with metering.job_context(job.id):
        result = finder.find_email(
            workspace.id, first_name="John", last_name="Smith", domain="wonka.com"
        )
    assert result.email == "john.smith@wonka.com"
    assert (result.verdict, result.flags) == ("risky", ["catch_all"])
    assert result.candidates_tried == ["john.smith@wonka.com"]
    assert len(_calls(job.id)) == 1


def test_when_the_patterns_find_nothing_hunter_is_asked_next(app, workspace):
    # piedpiper.com keeps first_last addresses, past the candidates tried here.
    app.config["EMAIL_FINDER_MAX_CANDIDATES"] = 2
    finder.save_settings(workspace.id, {"email_finding": ["patterns", "hunter"]})
    result = finder.find_email(
        workspace.id, first_name="Tony", last_name="Stark", domain="piedpiper.com"
    )
    assert result.provider == "hunter" and result.email == "tony_stark@piedpiper.com"
    assert result.pattern == "first_last"
    assert len(result.candidates_tried) == 2


def test_a_company_name_is_resolved_to_a_domain_by_the_book_then_the_enricher(
    app, workspace
):
    db.session.add(
        Company(workspace_id=workspace.id, name="Globex", domain="globex.com")
    )
    db.session.commit()
    known = finder.find_email(workspace.id, full_name="Hank Scorpio", company="globex")
    assert known.email == "hank.scorpio@globex.com"
    resolved = finder.find_email(workspace.id, full_name="Ann Lee", company="Hooli")
    assert resolved.domain == "hooli.com" and resolved.email == "annlee@hooli.com"


def test_email_verification_waterfall_moves_on_from_unknown(app, workspace):
    job = factories.make_job(workspace.id)
    with metering.job_context(job.id):
        answer = waterfall.verify(
            "unknown.person@example-co.com", ["reacher", "hunter"]
        )
    assert answer.provider == "hunter" and answer.value.verdict == "valid"
    assert [t["outcome"] for t in answer.tried] == ["unknown", "answered"]


def test_company_waterfall_first_misses_second_answers_and_only_the_hit_is_charged(
    app, workspace
):
    domain = next(
        f"nowhere{i}.com"
        for i in range(50)
        if faults.seed("apollo", f"nowhere{i}.com") % 10
    )
    job = factories.make_job(workspace.id)
    with metering.job_context(job.id):
        answer = waterfall.company(domain, ["pdl", "apollo"])
    db.session.commit()
    assert answer.provider == "apollo" and answer.value.name
    assert [(t["provider"], t["outcome"]) for t in answer.tried] == [
        ("pdl", "not_found"),
        ("apollo", "answered"),
    ]
    assert answer.provenance()["provider"] == "apollo"
    costs = [(c.provider, float(c.cost)) for c in _calls(job.id)]
    assert costs == [("pdl", 0.0), ("companies", 0.01)]


def test_settings_order_each_field_and_refuse_unknown_providers(app, workspace):
    # A second, separately paid provider is asked once the workspace adds it.
    assert finder.provider_order(workspace.id, "company") == ["apollo"]
    finder.save_settings(workspace.id, {"company": ["pdl", "apollo"]}, "30")
    assert finder.provider_order(workspace.id, "company") == ["pdl", "apollo"]
    assert finder.freshness_days(workspace.id) == 30
    with pytest.raises(InvalidInput):
        finder.save_settings(workspace.id, {"company": ["clearbit"]})
    with pytest.raises(InvalidInput):
        finder.save_settings(workspace.id, {}, "0")


def test_api_finds_an_email_synchronously_as_a_metered_job(
    client, api_headers, workspace
):
    answer = client.post(
        "/api/v1/email-finder",
        json={
            "first_name": "Jane",
            "last_name": "Roe",
            "domain": "https://www.globex.com/",
        },
        headers=api_headers,
    )
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["email"] == "jane.roe@globex.com" and body["verdict"] == "valid"
    assert body["pattern"] == "first.last" and body["provider"] == "reacher"
    assert body["candidates_tried"] == ["jane.roe@globex.com"] and body["cost"] > 0
    job = db.session.scalar(select(Job).where(Job.kind == "email_finder"))
    assert job.status == "completed" and len(_calls(job.id)) == 1


def test_api_without_domain_or_company_is_a_422_in_the_error_envelope(
    client, api_headers
):
    answer = client.post(
        "/api/v1/email-finder",
        json={"first_name": "Jane", "last_name": "Roe"},
        headers=api_headers,
    )
    assert answer.status_code == 422
    assert answer.json["error"]["code"] == "missing_domain"
    assert db.session.scalar(select(Job).where(Job.kind == "email_finder")) is None


def test_api_lookup_stops_at_the_daily_cap(client, api_headers, workspace):
    db.session.add(WorkspaceBudget(workspace_id=workspace.id, daily_cap=0.0001))
    db.session.commit()
    answer = client.post(
        "/api/v1/email-finder",
        json={"full_name": "Jane Roe", "domain": "globex.com"},
        headers=api_headers,
    )
    assert answer.status_code == 402
    assert answer.json["error"]["code"] == "cost_cap_reached"


def test_bulk_finds_the_emails_of_contacts_without_one(app, workspace):
    company = Company(workspace_id=workspace.id, name="Umbrella", domain="umbrella.co")
    db.session.add(company)
    db.session.flush()
    db.session.add(
        Contact(workspace_id=workspace.id, name="Alice Wong", company_id=company.id)
    )
    db.session.commit()
    people = bulk.people_without_email(workspace.id, "contacts")
    assert [p.name for p in people] == ["Alice Wong"]
    assert bulk.estimate(workspace.id, people).total > 0
    job = bulk.start(workspace.id, None, "contacts")
    for batch_id in _batches(job):
        factories.run_batch(batch_id)
    contact = db.session.scalar(select(Contact).where(Contact.name == "Alice Wong"))
    assert contact.email == "a.wong@umbrella.co" and contact.email_verdict == "valid"
    assert contact.email_provenance["provider"] == "reacher"
    assert bulk.outcomes(db.session.get(Job, job.id))[0]["pattern"] == "f.last"


def test_freshness_reverifies_stale_contacts_and_flags_those_gone_bad(app, workspace):
    old = utcnow() - timedelta(days=120)
    gone = _verified(
        workspace, "Gone Away", "gone.away@northwind.io", at=old, synced_at=utcnow()
    )
    gone.updated_at = old
    db.session.commit()
    assert gone.sync_state == "synced"
    fine = _verified(workspace, "Jane Doe", "jdoe@northwind.io", at=old)
    recent = _verified(workspace, "New One", "nnew@northwind.io")
    assert set(freshness.due_contacts(workspace.id)) == {gone.id, fine.id}
    job = freshness.start(workspace.id)
    assert job.progress_total == 2
    assert freshness.start(workspace.id) is None  # one at a time
    for batch_id in _batches(job):
        factories.run_batch(batch_id)
    db.session.expire_all()
    assert db.session.get(Contact, gone.id).email_bad is True
    assert db.session.get(Contact, gone.id).sync_state == "pending"  # to Airtable
    assert db.session.get(Contact, fine.id).email_bad is False
    assert db.session.get(Contact, fine.id).email_verified_at > old
    assert db.session.get(Contact, recent.id).email_verified_at is not None
    assert [c.id for c in freshness.bad_contacts(workspace.id)] == [gone.id]


# The waterfall, the finder and the conditions in CSV enrichment runs

FINDER_CSV = factories.csv_bytes(
    [
        ["Name", "Email", "Company", "Phone", "Website"],
        ["Known Person", "unknown.person@example-co.com", "", "", ""],
        ["John Smith", "", "Northwind", "", "northwind.io"],
        ["Jane Roe", "", "Globex", "", ""],
        ["No Company", "", "", "", ""],
        ["Has Company", "has.company@initech.com", "Initech", "", ""],
    ]
)
MAPPING = {
    "name": "Name",
    "email": "Email",
    "company": "Company",
    "phone": "Phone",
    "website": "Website",
}


def _enrich(workspace, content, options):
    upload = enrichment.save_upload(
        workspace.id, None, "people.csv", io.BytesIO(content)
    )
    job = enrichment.start(
        workspace.id, None, upload.id, mapping=MAPPING, options=options
    )
    pending = list(_batches(job))
    while pending:
        for batch_id in pending:
            factories.run_batch(batch_id)
        db.session.expire_all()
        pending = [
            b.id
            for b in db.session.scalars(
                select(JobBatch).where(
                    JobBatch.job_id == job.id, JobBatch.status == "pending"
                )
            )
        ]
    return job, upload


def _rows(job):
    from prospecting.models import EnrichmentRow

    db.session.expire_all()
    return {
        r.row_number: r
        for r in db.session.scalars(
            select(EnrichmentRow).where(EnrichmentRow.job_id == job.id)
        )
    }


def test_csv_rows_record_who_gave_each_value_down_the_waterfall(app, workspace):
    finder.save_settings(
        workspace.id,
        {"company": ["pdl", "apollo"], "email_verification": ["reacher", "hunter"]},
    )
    job, _ = _enrich(workspace, FINDER_CSV, {})
    rows = _rows(job)
    first = rows[1]
    assert first.email_verdict == "valid"
    verification = first.provenance["email_verification"]
    assert verification["provider"] == "hunter"
    assert [t["provider"] for t in verification["tried"]] == ["reacher", "hunter"]
    assert first.provenance["company"]["provider"] in ("pdl", "apollo")
    assert rows[2].status == "failed"  # no email, and the finder is off


def test_the_finder_option_finds_emails_for_rows_with_a_name_and_a_company(
    app, workspace
):
    job, _ = _enrich(workspace, FINDER_CSV, {"find_emails": True})
    rows = _rows(job)
    assert rows[2].email_normalized == "jsmith@northwind.io"
    assert rows[2].provenance["email_finding"]["pattern"] == "flast"
    assert rows[3].email_normalized == "jane.roe@globex.com"  # Globex → domain
    assert rows[4].status == "failed"  # no company to search at


def test_company_if_empty_skips_the_look_up_for_rows_that_have_a_company(
    app, workspace
):
    job, _ = _enrich(workspace, FINDER_CSV, {"company_if_empty": True})
    rows = _rows(job)
    assert rows[5].company_name is None and "company" not in rows[5].provenance
    assert rows[1].company_name


def test_the_estimate_counts_only_the_rows_that_will_run_and_the_fall_through(
    app, workspace
):
    app.config["PROVIDER_PRICES"] = {
        "emails": {"check_email": 1},
        "hunter": {"email-verifier": 1, "email-finder": 1},
        "companies": {"organizations/enrich": 1},
        "pdl": {"company/enrich": 1},
    }
    _, upload = _enrich(workspace, FINDER_CSV, {})
    finder.save_settings(workspace.id, {"email_verification": ["reacher", "hunter"]})
    pv = enrichment.preview(workspace.id, upload.id)

    def lines(options):
        estimate = enrichment.estimate_cost(upload, pv, options)
        return {line["label"]: line["calls"] for line in estimate.estimate.lines}

    plain = lines({})
    assert plain["Email checks"] == 2
    assert plain["Company look-ups"] == 2
    assert any("falling through to Hunter" in label for label in plain)
    assert lines({"company_if_empty": True})["Company look-ups"] == 1
    with_finder = lines({"find_emails": True})
    assert with_finder["Email checks"] == 2 + 2 * bulk.EXPECTED_CANDIDATES


def test_conditional_reverification_counts_only_the_contacts_it_will_verify(
    app, workspace
):
    old = utcnow() - timedelta(days=40)
    unknown = _verified(workspace, "Un Known", "unk@northwind.io", verdict="unknown")
    _verified(workspace, "Old Valid", "ovalid@northwind.io", at=old)
    _verified(workspace, "New Valid", "nvalid@northwind.io")
    only_unknown = freshness.conditions_from({"only_unknown": "1"}, workspace.id)
    assert freshness.due_contacts(workspace.id, conditions=only_unknown) == [unknown.id]
    older = freshness.conditions_from({"older_than_days": "30"}, workspace.id)
    assert len(freshness.due_contacts(workspace.id, conditions=older)) == 1
    assert freshness.due_contacts(workspace.id) == []  # none older than 90 days
    app.config["PROVIDER_PRICES"] = {"emails": {"check_email": 1}}
    assert freshness.estimate(workspace.id, only_unknown).total == 1
    job = freshness.start(workspace.id, None, only_unknown)
    assert job.progress_total == 1
    with pytest.raises(InvalidInput):
        freshness.conditions_from({"older_than_days": "soon"}, workspace.id)


# The demo mix and the pages


def test_the_demo_mix_shows_ranking_catch_all_waterfall_and_freshness(
    app, workspace, tmp_path
):
    from prospecting.services.finder import demo

    path = demo.seed(workspace.id, tmp_path)
    demo.seed(workspace.id, tmp_path)  # idempotent
    assert "Laura Palmer" in path.read_text()
    ranked = finder.find_email(
        workspace.id, full_name="John Smith", company="Northwind"
    )
    assert ranked.candidates_tried == ["jsmith@northwind.io"]
    catch_all = finder.find_email(workspace.id, full_name="Emma Frost", company="Wonka")
    assert catch_all.verdict == "risky" and len(catch_all.candidates_tried) == 1
    order = finder.provider_order(workspace.id, "email_verification")
    assert waterfall.verify("unknown.person@example-co.com", order).provider == "hunter"
    assert len(freshness.due_contacts(workspace.id)) == 1
    assert len(bulk.people_without_email(workspace.id, "contacts")) == 4


def test_finder_pages_look_up_save_the_waterfall_and_estimate(
    app, auth_client, workspace
):
    page = auth_client.get("/finder/")
    assert page.status_code == 200 and "waterfall-settings" in page.get_data(
        as_text=True
    )
    found = auth_client.post(
        "/finder/", data={"full_name": "Jane Roe", "domain": "globex.com"}
    )
    assert "jane.roe@globex.com" in found.get_data(as_text=True)
    missing = auth_client.post("/finder/", data={"full_name": "Jane Roe"})
    assert missing.status_code == 422
    saved = auth_client.post(
        "/finder/settings",
        data={"company:pdl": "1", "company:apollo": "2", "company:unknown": "3",
              "freshness": "45"},
    )  # fmt: skip
    assert saved.status_code == 302
    assert finder.provider_order(workspace.id, "company") == ["pdl", "apollo"]
    assert finder.freshness_days(workspace.id) == 45
    estimate = auth_client.get("/finder/bulk?source=contacts")
    assert estimate.status_code == 200 and "finder-estimate" in estimate.get_data(
        as_text=True
    )
    bad = auth_client.get("/finder/bad?only_unknown=1")
    assert bad.status_code == 200 and "reverify-estimate" in bad.get_data(as_text=True)


def test_bulk_finds_prospects_emails_into_the_book(app, workspace):
    from prospecting.models import Prospect

    db.session.add(
        Company(workspace_id=workspace.id, name="Globex", domain="globex.com")
    )
    search = factories.make_job(
        workspace.id, kind="prospect_search", status="completed"
    )
    db.session.add(
        Prospect(job_id=search.id, batch=0, provider_id="p1", name="Dan Brown",
                 company="Globex")
    )  # fmt: skip
    db.session.commit()
    assert [
        p.name for p in bulk.people_without_email(workspace.id, "prospects", search.id)
    ] == ["Dan Brown"]
    job = bulk.start(workspace.id, None, "prospects", search.id)
    for batch_id in _batches(job):
        factories.run_batch(batch_id)
    contact = db.session.scalar(select(Contact).where(Contact.name == "Dan Brown"))
    assert contact.email == "dan.brown@globex.com" and contact.source == "email_finder"
    assert contact.email_verdict == "valid"
    db.session.expire_all()
    assert db.session.get(Job, job.id).success_count == 1


def test_waterfall_with_a_bad_position_or_freshness_names_the_field_with_422(
    auth_client, workspace
):
    position = auth_client.post(
        "/finder/settings", data={"company:pdl": "12", "freshness": "45"}
    )
    body = position.get_data(as_text=True)
    assert position.status_code == 422
    assert '<ul class="errors"><li>A position from 1 to 9' in body
    assert 'value="12"' in body and finder.freshness_days(workspace.id) != 45
    days = auth_client.post("/finder/settings", data={"freshness": "0"})
    assert days.status_code == 422
    assert b'<ul class="errors"><li>Freshness must be a number of days' in days.data


def test_lookup_with_a_too_long_name_names_the_field_with_422(auth_client):
    response = auth_client.post(
        "/finder/", data={"full_name": "x" * 401, "domain": "globex.com"}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<ul class="errors"><li>Field cannot be longer than 400' in body
    assert 'value="globex.com"' in body
