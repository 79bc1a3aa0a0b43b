"""Peak memory of importing a 1,000,000-row CSV (upload, preview, ingest) on
PostgreSQL, measured as the importing process's peak RSS; target < 250 MB."""

from pathlib import Path

from bench import common
from bench import ingest

ROWS = 1_000_000


def run(tmp: Path = Path("/tmp")) -> dict:
    path = tmp / f"bench-{ROWS}.csv"
    ingest.write_csv(path, ROWS)
    url = common.fresh_database()
    try:
        result = ingest.ingest(url, path, tmp)
    finally:
        common.drop_database(url)
    assert result["rows"] == ROWS, result
    print(
        f"  {ROWS:,} rows ({path.stat().st_size / 1e6:.0f} MB file) imported in "
        f"{result['seconds']:.1f}s; peak RSS {result['peak_mb']:.0f} MB"
    )
    return common.report(
        "peak memory of a 1M-row import",
        f"{result['peak_mb']:.0f} MB",
        "< 250 MB",
        result["peak_mb"] < 250,
    )
