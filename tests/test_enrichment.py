"""CSV enrichment: upload, preview, job, results, exports, re-runs, failures."""

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from prospecting.extensions import db
from prospecting.models import EnrichmentPage
from prospecting.models import EnrichmentRow
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import ProviderCall
from prospecting.models.base import utcnow
from prospecting.sandbox import faults
from prospecting.services import enrichment
from prospecting.services import jobs
from prospecting.services.enrichment.planner import _pages
from prospecting.services.enrichment.rows import _take_pages
from prospecting.tasks import enqueue_batches
from tests import factories
from tests.factories import start_enrichment
from tests.factories import started_enrichment
from tests.factories import upload


def rows_of(job):
    """Every data row of a job, taken by a worker (saved) or still in pages."""
    db.session.expire_all()
    return enrichment.results_after(job, limit=10**9)


def saved_rows_of(job):
    """The rows a worker has taken from the job's pages."""
    return _stored(EnrichmentRow, EnrichmentRow.row_number, job)


def pages_of(job):
    return _stored(EnrichmentPage, EnrichmentPage.last_row, job)


def _stored(model, order, job):
    db.session.expire_all()
    return db.session.scalars(
        select(model).where(model.job_id == job.id).order_by(order)
    ).all()


def calls(provider=None):
    stmt = select(func.count()).select_from(ProviderCall)
    if provider:
        stmt = stmt.where(ProviderCall.provider == provider)
    return db.session.scalar(stmt)


def test_preview_shows_detected_encoding_delimiter_and_mapping(auth_client):
    content = factories.csv_bytes(
        [
            ["Full Name", "E-mail", "Organisation"],
            ["René Müller", "rene@firma.de", "Firma"],
        ],
        delimiter=";",
        encoding="cp1252",
    )
    page = auth_client.get(upload(auth_client, content).headers["Location"])
    body = page.get_data(as_text=True)
    assert "cp1252" in body
    assert "semicolon" in body
    assert "René Müller" in body
    assert '<option value="E-mail" selected>' in body


def test_preview_delimiter_and_encoding_can_be_overridden(auth_client):
    content = factories.csv_bytes([["a|b", "email"], ["x|y", "p@q.com"]])
    location = upload(auth_client, content).headers["Location"]
    body = auth_client.get(f"{location}?delimiter=%7C").get_data(as_text=True)
    assert "pipe" in body


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "empty"),
        (b"PK\x03\x04" + bytes(range(256)) * 4, "zip archive"),
        (bytes(range(256)) * 40, "binary"),
        (b"name,email\r\n", "no data rows"),
        (b'name,email\r\n"Ann,ann@x.com\r\n', "never closed"),
    ],
)
def test_unreadable_uploads_are_refused_with_a_message(auth_client, content, message):
    response = upload(auth_client, content)
    assert response.status_code == 422
    assert message.lower() in response.get_data(as_text=True).lower()


def test_upload_over_the_size_limit_is_413_with_a_message(auth_client, app):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = upload(auth_client, factories.contacts_csv(200))
    assert response.status_code == 413
    assert "limit" in response.get_data(as_text=True)


def test_start_without_an_email_column_is_a_422_under_the_email_field(auth_client):
    content = factories.csv_bytes([["name", "company"], ["Ann", "Acme"]])
    location = upload(auth_client, content).headers["Location"]
    upload_id = location.rsplit("/", 1)[1]
    response = auth_client.post(
        f"/enrichment/uploads/{upload_id}/start",
        data={"map_name": "name", "cost_cap": "7"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    email = page[page.index('name="map_email"') :]
    assert email.index("no column was mapped to email") < email.index("</label>")
    # What was chosen stays chosen.
    assert '<option value="name" selected>' in page
    assert 'id="cost-cap"' in page and 'value="7"' in page
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_job_verifies_enriches_and_normalises_every_row(auth_client):
    content = factories.csv_bytes(
        [
            ["Name", "Email", "Company", "Phone", "Website"],
            ["Ada", "ada@analytical.io", "Analytical", "(415) 555-0100", ""],
            ["Bob", "bob@gmail.com", "", "", ""],
            ["Cy", "cy@whatever.org", "", "", "https://www.cyco.com/about"],
            ["Bad", "not-an-email", "", "", ""],
            ["None", "", "", "", ""],
        ]
    )
    job = start_enrichment(auth_client, content)
    assert job.status == "completed"
    assert (job.success_count, job.failed_count, job.progress_total) == (4, 1, 5)
    ada, bob, cy, bad, none = rows_of(job)
    assert ada.email_verdict in ("valid", "invalid", "risky", "unknown")
    assert ada.company_domain == "analytical.io"
    assert ada.phone_e164 == "+14155550100"
    assert bob.company_domain is None, "free mail is never enriched"
    assert cy.company_domain == "cyco.com", "the website column wins over the email"
    assert (bad.status, bad.email_verdict, bad.email_valid) == (
        "success",
        "invalid",
        False,
    )
    assert (none.status, none.error_message) == (
        "failed",
        "No email address in this row.",
    )


def test_invalid_syntax_costs_no_provider_call(auth_client):
    start_enrichment(
        auth_client,
        factories.csv_bytes([["Email"], ["nope@"], ["also bad"]]),
        mapping={"map_email": "Email"},
    )
    assert calls("emails") == 0


def test_same_domain_and_email_are_paid_for_once(auth_client):
    content = factories.csv_bytes(
        [["Email"], ["a@shared.com"], ["b@shared.com"], ["a@shared.com"]]
    )
    start_enrichment(auth_client, content, mapping={"map_email": "Email"})
    assert calls("companies") == 1
    assert calls("emails") == 2
    start_enrichment(auth_client, content, mapping={"map_email": "Email"})
    assert calls("companies") == 1 and calls("emails") == 2, (
        "second job served from cache"
    )


def test_provider_outage_marks_rows_outcome_unknown_and_rerun_fixes_them(
    auth_client, workspace
):
    faults.set_overrides({"error_rate": 1.0})
    job = start_enrichment(auth_client, factories.contacts_csv(6))
    assert job.status == "completed"
    assert job.failed_count == 6
    first = rows_of(job)[0]
    assert first.error_message.startswith("Outcome unknown")
    assert "HTTP 503" in first.error_message
    attempts = db.session.scalar(select(ProviderCall.attempts).limit(1))
    assert attempts == 1, "a billable check is never sent again on its own"
    faults.set_overrides({})
    response = auth_client.post(f"/jobs/{job.id}/retry")
    assert response.status_code == 302
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.status, job.success_count, job.failed_count) == ("completed", 6, 0)
    assert {r.status for r in rows_of(job)} == {"success"}
    assert enrichment.status_counts(job.id) == {"success": 6} == counted_from_rows(job)


def test_malformed_provider_json_fails_the_row_with_reason(auth_client):
    faults.set_overrides({"malformed_rate": 1.0})
    job = start_enrichment(auth_client, factories.contacts_csv(2))
    assert "not valid JSON" in rows_of(job)[0].error_message


def test_rate_limit_releases_the_batch_for_later_without_losing_rows(auth_client):
    faults.set_overrides({"rate_limit_rate": 1.0, "retry_after": 7})
    job = start_enrichment(auth_client, factories.contacts_csv(3))
    assert job.status == "running"
    batch = db.session.scalars(
        select(JobBatch).where(
            JobBatch.job_id == job.id, JobBatch.kind == enrichment.ROWS
        )
    ).one()
    assert batch.status == "pending"
    assert batch.not_before is not None
    assert "429" in batch.error
    faults.set_overrides({})
    batch.not_before = None
    db.session.commit()
    enqueue_batches([(batch.id, batch.kind)])
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "completed"
    assert db.session.get(Job, job.id).success_count == 3


def test_refused_api_key_fails_the_job_with_a_clear_message(auth_client, app):
    app.config["EMAIL_VERIFIER_KEY"] = "invalid-key"
    job = start_enrichment(auth_client, factories.contacts_csv(3))
    assert job.status == "failed"
    assert "refused the credentials" in job.error_message


def test_batch_rerun_after_a_worker_died_before_completing_counts_rows_once(
    auth_client,
):
    job = start_enrichment(auth_client, factories.contacts_csv(5))
    batch = db.session.scalars(
        select(JobBatch).where(
            JobBatch.job_id == job.id, JobBatch.kind == enrichment.ROWS
        )
    ).one()
    # As if the worker wrote (and counted) three rows, then died before
    # completing the batch.
    db.session.execute(
        update(EnrichmentRow)
        .where(EnrichmentRow.job_id == job.id, EnrichmentRow.row_number > 3)
        .values(status="pending")
    )
    batch.status, batch.lease_until = "running", utcnow() - timedelta(seconds=1)
    batch.success_count = 3
    job.status, job.success_count, job.progress_current = "running", 3, 3
    db.session.commit()
    calls_before = calls()
    factories.run_batch(batch.id)
    factories.run_batch(batch.id)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.status, job.success_count, job.progress_current) == ("completed", 5, 5)
    assert enrichment.status_counts(job.id) == {"success": 5}
    assert calls() == calls_before, "answers already had are not asked again"


def test_planning_resumes_after_interruption_without_duplicates(
    auth_client, workspace, app
):
    app.config["INGEST_CHUNK_ROWS"] = 20
    job, plan_id = started_enrichment(
        auth_client, workspace.id, factories.contacts_csv(50)
    )
    dispatched = []

    class Interrupted(Exception):
        pass

    def die_after_first_chunk(batches):
        dispatched.extend(batches)
        raise Interrupted

    # The runner keeps what was committed and gives the batch back for a retry.
    factories.run_batch(plan_id, dispatch=die_after_first_chunk)
    assert len(rows_of(job)) == 20
    batch = db.session.get(JobBatch, plan_id)
    assert batch.status == "pending" and "Interrupted" in batch.error
    batch.not_before = None
    db.session.commit()
    factories.run_batch(plan_id, dispatch=dispatched.extend)
    numbers = [r.row_number for r in rows_of(job)]
    assert numbers == list(range(1, 51))
    enqueue_batches(dispatched)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.status, job.success_count + job.failed_count) == ("completed", 50)


def test_results_paginate_by_keyset_and_filter_by_status(auth_client, app):
    app.config["RESULTS_PER_PAGE"] = 10
    job = start_enrichment(
        auth_client,
        factories.csv_bytes(
            [["Name", "Email"]]
            + [["P", f"p{i}@x{i}.com"] for i in range(15)]
            + [["Q", ""]] * 3
        ),
        mapping={"map_email": "Email"},
    )
    first = auth_client.get(f"/enrichment/jobs/{job.id}/results").get_data(as_text=True)
    assert (
        'id="row-1"' in first and 'id="row-10"' in first and 'id="row-11"' not in first
    )
    assert "after=10" in first
    second = auth_client.get(f"/enrichment/jobs/{job.id}/results?after=10").get_data(
        as_text=True
    )
    assert 'id="row-11"' in second and 'id="row-18"' in second
    failed = auth_client.get(f"/enrichment/jobs/{job.id}/results?status=failed")
    body = failed.get_data(as_text=True)
    assert body.count('<tr id="row-') == 3
    assert "<html" not in body


def test_export_has_bom_original_and_enriched_columns_and_neutralised_formulas(
    auth_client,
):
    content = factories.csv_bytes(
        [
            ["Name", "Email", "Note"],
            ['=HYPERLINK("http://evil")', "ann@acme.com", "+1 attack"],
            ["@SUM(A1)", "bob@acme.com", "-2"],
        ]
    )
    job = start_enrichment(
        auth_client, content, mapping={"map_name": "Name", "map_email": "Email"}
    )
    response = auth_client.get(f"/enrichment/jobs/{job.id}/export.csv")
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert text.startswith("\ufeff")
    header = text.splitlines()[0]
    assert header.startswith(
        '\ufeff"Name","Email","Note","status","email_valid","email_verdict"'
    )
    assert '"\'=HYPERLINK(""http://evil"")"' in text
    assert '"\'@SUM(A1)"' in text and '"\'+1 attack"' in text
    # A plain number is data, not a formula: never prefixed.
    assert '"-2"' in text and "'-2" not in text


def test_errors_csv_lists_failed_rows_with_their_reason(auth_client):
    job = start_enrichment(
        auth_client,
        factories.csv_bytes([["Name", "Email"], ["Ann", ""], ["Bo", "b@c.com"]]),
        mapping={"map_name": "Name", "map_email": "Email"},
    )
    text = auth_client.get(f"/enrichment/jobs/{job.id}/errors.csv").get_data(
        as_text=True
    )
    lines = text.strip().splitlines()
    assert len(lines) == 2
    assert '"Ann","","No email address in this row."' in lines[1]


def test_rerun_with_nothing_failed_explains_itself(auth_client):
    job = start_enrichment(auth_client, factories.contacts_csv(2))
    response = auth_client.post(f"/jobs/{job.id}/retry")
    assert response.status_code == 409
    assert "no failed rows" in response.get_data(as_text=True)


def test_job_page_shows_progress_counts_and_results(auth_client):
    job = start_enrichment(auth_client, factories.contacts_csv(4))
    body = auth_client.get(f"/enrichment/jobs/{job.id}").get_data(as_text=True)
    assert "4 / 4 rows (100 %)" in body
    assert 'id="results"' in body
    assert "Export CSV" in body


def test_home_lists_recent_jobs(auth_client):
    job = start_enrichment(auth_client, factories.contacts_csv(1))
    assert job.id in auth_client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("suffix", ["", "/results", "/export.csv", "/errors.csv"])
def test_another_workspace_job_pages_are_404(auth_client, other_workspace, suffix):
    job = factories.make_job(other_workspace.id, status="completed")
    assert auth_client.get(f"/enrichment/jobs/{job.id}{suffix}").status_code == 404


def test_another_workspace_upload_is_404(auth_client, other_workspace, tmp_path):
    from prospecting.models import Upload

    upload_row = Upload(
        workspace_id=other_workspace.id,
        filename="x.csv",
        stored_path=str(tmp_path / "x.csv"),
        size_bytes=1,
        sha256="0" * 64,
    )
    db.session.add(upload_row)
    db.session.commit()
    assert auth_client.get(f"/enrichment/uploads/{upload_row.id}").status_code == 404
    assert (
        auth_client.post(f"/enrichment/uploads/{upload_row.id}/start").status_code
        == 404
    )


def test_script_in_names_renders_escaped(auth_client):
    job = start_enrichment(
        auth_client,
        factories.csv_bytes([["Name", "Email"], ["<script>x()</script>", "a@b.com"]]),
        mapping={"map_name": "Name", "map_email": "Email"},
    )
    body = auth_client.get(f"/enrichment/jobs/{job.id}").get_data(as_text=True)
    assert "<script>x()" not in body
    assert "&lt;script&gt;" in body


def test_results_partial_carries_the_actions_once_the_job_has_ended(auth_client):
    """The actions arrive with the results refresh, so no reload is needed."""
    job = start_enrichment(
        auth_client,
        factories.csv_bytes([["Name", "Email"], ["A", ""], ["B", "b@c.com"]]),
        mapping={"map_name": "Name", "map_email": "Email"},
    )
    body = auth_client.get(f"/enrichment/jobs/{job.id}/results").get_data(as_text=True)
    assert 'id="rerun-button"' in body and 'id="add-to-contacts"' in body
    assert "hx-trigger" not in body.split('<nav class="filters">')[0]


def test_rows_not_yet_processed_show_their_mapped_fields(
    auth_client, workspace, api_headers
):
    data = factories.csv_bytes(
        [["First", "Last", "E-mail", "Org", "extra"],
         ["Ada", "Lovelace", "ada@x.io", "Analytical", "x"],
         ["Bob", "", "bob@y.io", "", "y", "spill"]]
    )  # fmt: skip
    job, plan_id = started_enrichment(auth_client, workspace.id, data)
    factories.run_batch(plan_id, dispatch=lambda batches: None)  # rows stay pending
    stored = [r.data for r in rows_of(job)]
    assert stored == [["Ada", "Lovelace", "ada@x.io", "Analytical", "x"],
                      ["Bob", "", "bob@y.io", "", "y", "spill"]]  # fmt: skip
    body = auth_client.get(f"/jobs/{job.id}/results", headers=api_headers).json
    shown = [
        (r["name"], r["email"], r["company"], r["status"]) for r in body["results"]
    ]
    assert shown == [
        ("Ada Lovelace", "ada@x.io", "Analytical", "pending"),
        ("Bob", "bob@y.io", "", "pending"),
    ]
    page = auth_client.get(f"/enrichment/jobs/{job.id}/results").get_data(as_text=True)
    assert "ada@x.io" in page and "Ada Lovelace" in page
    db.session.expire_all()
    assert saved_rows_of(job) == [], "display writes nothing"


# Pages: the import keeps a batch's rows as one page until a worker takes it


def planned_job(client, workspace, rows: int) -> tuple[Job, list[tuple[int, str]]]:
    """A job whose file is read into pages and batches, no batch taken yet."""
    job, plan_id = started_enrichment(
        client, workspace.id, factories.contacts_csv(rows)
    )
    dispatched = []
    factories.run_batch(plan_id, dispatch=dispatched.extend)
    return job, dispatched


def assert_completes_with_every_row(job, batches, rows: int) -> None:
    enqueue_batches(batches)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.status, job.success_count, job.progress_current) == (
        "completed", rows, rows)  # fmt: skip


def counted_from_rows(job) -> dict[str, int]:
    """A job's rows by status, counted from its rows and pages (what the job's
    counters must equal)."""
    db.session.refresh(job)
    counts = dict(
        db.session.execute(
            select(EnrichmentRow.status, func.count())
            .where(EnrichmentRow.job_id == job.id)
            .group_by(EnrichmentRow.status)
        ).all()
    )
    in_pages = sum(p.last_row - p.first_row + 1 for p in pages_of(job))
    counts["pending"] = counts.get("pending", 0) + in_pages
    if job.status == "cancelled":  # rows it will never work count as cancelled
        counts["cancelled"] = counts.pop("pending")
    return {status: n for status, n in counts.items() if n}


def test_import_writes_a_page_per_batch_and_no_rows(auth_client, workspace, app):
    app.config["ENRICHMENT_BATCH_SIZE"] = 4
    job, dispatched = planned_job(auth_client, workspace, 10)
    assert saved_rows_of(job) == []
    pages = [(p.first_row, p.last_row, len(p.data)) for p in pages_of(job)]
    assert pages == [(1, 4, 4), (5, 8, 4), (9, 10, 2)]
    assert pages_of(job)[2].data[1][1] == "person10@company3.com"
    cut = [db.session.get(JobBatch, batch_id).params for batch_id, _ in dispatched]
    assert cut == [{"first_row": 1, "last_row": 4}, {"first_row": 5, "last_row": 8},
                   {"first_row": 9, "last_row": 10}]  # fmt: skip


def test_a_large_file_is_cut_into_larger_batches_up_to_the_maximum(
    auth_client, workspace, app
):
    app.config.update(
        ENRICHMENT_BATCH_SIZE=4,
        ENRICHMENT_BATCH_SIZE_MAX=6,
        ENRICHMENT_BATCHES_TARGET=2,
    )
    small, _ = planned_job(auth_client, workspace, 6)
    large, dispatched = planned_job(auth_client, workspace, 40)
    assert small.params["batch_size"] == 4
    assert large.params["batch_size"] == 6
    cut = [db.session.get(JobBatch, batch_id).params for batch_id, _ in dispatched]
    assert cut[0] == {"first_row": 1, "last_row": 6}
    assert cut[-1] == {"first_row": 37, "last_row": 40}


def test_a_taken_batch_turns_its_page_into_rows_exactly_once(
    auth_client, workspace, app
):
    app.config["ENRICHMENT_BATCH_SIZE"] = 4
    job, dispatched = planned_job(auth_client, workspace, 10)
    enqueue_batches(dispatched[:1])
    saved = saved_rows_of(job)
    assert [(r.row_number, r.status) for r in saved] == [
        (n, "success") for n in (1, 2, 3, 4)
    ]
    assert [p.first_row for p in pages_of(job)] == [5, 9]
    assert _take_pages(job.id, 1, 4) == 0, "the page is gone"
    assert _take_pages(job.id, 5, 8) == 4
    assert _take_pages(job.id, 5, 8) == 0
    assert [r.row_number for r in saved_rows_of(job)] == list(range(1, 9))
    assert [p.first_row for p in pages_of(job)] == [9]
    assert_completes_with_every_row(job, dispatched[1:], 10)
    assert pages_of(job) == []
    assert [r.row_number for r in saved_rows_of(job)] == list(range(1, 11))


def test_results_counts_and_exports_merge_taken_rows_with_pages(
    auth_client, workspace, app
):
    app.config["ENRICHMENT_BATCH_SIZE"] = 4
    job, dispatched = planned_job(auth_client, workspace, 10)
    enqueue_batches(dispatched[:1])  # rows 1-4 processed, 5-10 still in pages
    _take_pages(job.id, 5, 8)  # rows 5-8 taken, not yet processed

    def seen(rows):
        return [(r.row_number, r.status) for r in rows]

    pending = [(n, "pending") for n in range(5, 11)]
    assert seen(enrichment.results_after(job, after=2, limit=4)) == [
        (3, "success"), (4, "success"), (5, "pending"), (6, "pending")]  # fmt: skip
    assert seen(enrichment.results_after(job, status="pending")) == pending
    assert seen(enrichment.results_after(job, status="pending", after=8)) == pending[4:]
    succeeded = enrichment.results_after(job, status="success", after=3)
    assert seen(succeeded) == [(4, "success")]
    rows, total = enrichment.results_page(job, page=3, per_page=3)
    assert (seen(rows), total) == ([(7, "pending"), (8, "pending"), (9, "pending")], 10)
    rows, total = enrichment.results_page(job, page=2, per_page=4, status="pending")
    assert (seen(rows), total) == (pending[4:], 6)
    assert enrichment.status_counts(job.id) == {"success": 4, "pending": 6}
    shown = enrichment.results_after(job, after=9)[0]
    assert (shown.name, shown.email) == ("Person 10", "person10@company3.com")
    body = auth_client.get(f"/enrichment/jobs/{job.id}/results").get_data(as_text=True)
    exported = auth_client.get(f"/enrichment/jobs/{job.id}/export.csv")
    lines = exported.get_data(as_text=True).splitlines()
    assert len(lines) == 11
    assert lines[10].startswith('"Person 10","person10@company3.com",')
    assert "person1@company1.com" in body and "person10@company3.com" in body


def test_rerun_after_cancel_takes_the_rows_left_in_pages(auth_client, workspace, app):
    app.config["ENRICHMENT_BATCH_SIZE"] = 4
    job, dispatched = planned_job(auth_client, workspace, 10)
    enqueue_batches(dispatched[:1])
    jobs.cancel(workspace.id, job.id)
    assert len(pages_of(job)) == 2
    assert enrichment.status_counts(job.id) == counted_from_rows(job)
    job = enrichment.rerun_failed(workspace.id, job.id)
    assert enrichment.status_counts(job.id) == counted_from_rows(job)
    assert pages_of(job) == []
    assert [(r.row_number, r.status) for r in saved_rows_of(job)][4:] == [
        (n, "pending") for n in range(5, 11)
    ]
    assert_completes_with_every_row(job, jobs.open_batches(job.id), 10)


@pytest.mark.parametrize("size", [1, 3, 4, 20])
def test_pages_never_straddle_a_batch_however_the_reader_cuts_pieces(size):
    import random

    rng = random.Random(size)
    for _ in range(50):
        start, numbers = 1 + rng.randrange(40), []
        while len(numbers) < 60:
            length = rng.randrange(1, 15)
            piece = (start + len(numbers), [[str(n)] for n in range(length)])
            for first, last, rows in _pages(piece, size):
                assert (first - 1) // size == (last - 1) // size
                assert last - first + 1 == len(rows)
                numbers.extend(range(first, last + 1))
        assert numbers == list(range(start, start + len(numbers)))


def test_a_jobs_pages_read_its_counters_never_its_rows_or_calls(
    auth_client, workspace, app
):
    app.config["PROVIDER_PRICES"] = {"emails": {"check_email": 0.01}}
    job = start_enrichment(auth_client, factories.contacts_csv(6))
    assert job.status == "completed"
    assert (job.cost, job.call_count) == (db.session.execute(
        select(func.sum(ProviderCall.cost), func.count()).where(
            ProviderCall.job_id == job.id)).one())  # fmt: skip
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement.lower())

    pages = [
        f"/enrichment/jobs/{job.id}",
        f"/enrichment/jobs/{job.id}/results",
        f"/enrichment/jobs/{job.id}/results?status=failed",
        f"/jobs/{job.id}/progress",
    ]
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        bodies = [auth_client.get(page).get_data(as_text=True) for page in pages]
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert "success (6)" in bodies[1] and "0.06" in bodies[3]
    for statement in statements:
        assert "provider_calls" not in statement and "cache_hits" not in statement
        assert not ("count(" in statement and "enrichment_rows" in statement)
