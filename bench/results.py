"""Results page 1,000 against page 1 of a 100k-row enrichment job on PostgreSQL
(median server time of each through the JSON API; target ≤ 1.5×), with the rows
still in the import's pages and again once workers have taken them all."""

import statistics
import time
from pathlib import Path

from bench import common
from bench import ingest

ROWS = 100_000
PER_PAGE = 100
REPEAT = 30


def run(tmp: Path = Path("/tmp")) -> dict:
    path = tmp / f"bench-{ROWS}.csv"
    if not path.exists():
        ingest.write_csv(path, ROWS)
    url = common.fresh_database()
    try:
        job_id = ingest.ingest(url, path, tmp)["job_id"]
        timings = {"in pages": _time_pages(url, job_id)}
        _take_all_pages(url, job_id)
        timings["taken"] = _time_pages(url, job_id)
    finally:
        common.drop_database(url)
    ratios = []
    for state, (first, last) in timings.items():
        ratios.append(last / first)
        print(
            f"  rows {state}: page 1: {first * 1000:.2f} ms, page 1,000: "
            f"{last * 1000:.2f} ms, {ratios[-1]:.2f}x "
            f"(medians of {REPEAT}, {PER_PAGE} rows a page)"
        )
    ratio = max(ratios)
    return common.report(
        "results page 1,000 / page 1 (100k rows)",
        f"{ratio:.2f}x (worse of pages / rows)",
        "<= 1.5x",
        ratio <= 1.5,
    )


def _take_all_pages(url: str, job_id: str) -> None:
    """Turn every page into rows, as the workers do when they take the batches."""
    from prospecting import create_app
    from prospecting.services.enrichment import rows

    app = create_app(None, SQLALCHEMY_DATABASE_URI=url, HUEY_STORAGE="memory")
    with app.app_context():
        rows._take_all_pages(job_id)


def _time_pages(url: str, job_id: str) -> tuple[float, float]:
    from prospecting import create_app
    from prospecting.extensions import db
    from prospecting.models import Job
    from prospecting.services import accounts

    app = create_app(None, SQLALCHEMY_DATABASE_URI=url, HUEY_STORAGE="memory")
    with app.app_context():
        job = db.session.get(Job, job_id)
        _, token = accounts.create_token(job.workspace_id, "bench")
    client = app.test_client()
    headers = {"X-API-Key": token}

    def median_ms(page: int) -> float:
        times = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            response = client.get(
                f"/jobs/{job_id}/results?page={page}&per_page={PER_PAGE}",
                headers=headers,
            )
            times.append(time.perf_counter() - started)
            assert (
                response.status_code == 200
                and len(response.json["results"]) == PER_PAGE
            )
        return statistics.median(times)

    median_ms(1)  # warm caches
    return median_ms(1), median_ms(ROWS // PER_PAGE)
