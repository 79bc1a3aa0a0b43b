"""The book's pages at 1,000,000 contacts against the same pages at 2,000 on
PostgreSQL: the list, a search by name, a search by email, the companies and the
sync stats, each the median server time of its HTML page through the Flask test
client (target: each ≤ 1.5× its time at 2,000). The books are filled by
INSERT … SELECT generate_series with the indexes built afterwards, as a restore
would; every contact has an email (with a verdict), a company link and a source.
A broad search (one contact in ten) is printed beside them, without a target."""

import statistics
import time

import psycopg
from sqlalchemy.engine import make_url

from bench import common

SIZES = (2_000, 1_000_000)
REPEAT = 15
TARGET = 1.5
TABLES = ("companies", "contacts", "contact_emails", "contact_companies")
TABLES += ("contact_sources",)
FIRST = "'{Ada,Bob,Cy,Dee,Eve,Fay,Gus,Hal,Ivy,Jo}'::text[]"
LAST = "'{Lovelace,Byte,Young,Hopper,Turing,Knuth,Liskov,Ritchie,Thompson,Kay}'"
SOURCES = "'{enrichment,csv,manual,people_search}'::text[]"
VERDICTS = "'{valid,risky,invalid,unknown}'::text[]"

FILL = [
    """INSERT INTO companies (id, workspace_id, name, domain, sync_failed,
           created_at, updated_at)
       SELECT c, %(ws)s, 'Company ' || c || ' ' || substr(md5('c' || c), 1, 6),
              'company' || c || '.com', false, now(), now()
       FROM generate_series(1, %(companies)s) AS c""",
    f"""INSERT INTO contacts (id, workspace_id, company_id, name, email, addresses,
           source, provider_ids, sync_failed, synced_at, email_verdict,
           email_verified_at, email_bad, created_at, updated_at)
       SELECT i, %(ws)s, 1 + i %% %(companies)s,
              ({FIRST})[1 + i %% 10] || ' ' || ({LAST}::text[])[1 + (i / 10) %% 10]
                  || ' ' || substr(md5('n' || i), 1, 8),
              'p' || i || '.' || substr(md5('e' || i), 1, 8) || '@company'
                  || (1 + i %% %(companies)s) || '.com',
              '[]', ({SOURCES})[1 + i %% 4], '{{}}', i %% 50 = 0,
              CASE WHEN i %% 3 = 0 THEN now() + interval '1 day' END,
              ({VERDICTS})[1 + i %% 4], now() - (i %% 300) * interval '1 day',
              false, now() - (i %% 365) * interval '1 day', now()
       FROM generate_series(1, %(contacts)s) AS i""",
    """INSERT INTO contact_emails (id, workspace_id, contact_id, email, verdict,
           flags, verified_at, is_primary, source, created_at)
       SELECT id, workspace_id, id, email, email_verdict, '[]', email_verified_at,
              true, source, created_at FROM contacts""",
    """INSERT INTO contact_companies (contact_id, company_id, created_at)
       SELECT id, company_id, created_at FROM contacts""",
    """INSERT INTO contact_sources (id, contact_id, source, ref, created_at)
       SELECT id, id, source, '', created_at FROM contacts""",
]


def _dsn(url: str) -> str:
    return (
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


def fill(url: str, workspace_id: int, n: int) -> float:
    """Fill the workspace's book with `n` contacts; the seconds it took."""
    started = time.perf_counter()
    params = {"ws": workspace_id, "contacts": n, "companies": max(60, n // 100)}
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [list(TABLES)],
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        with conn.transaction():
            for sql in FILL:
                conn.execute(sql, params)
        for _, definition in indexes:
            conn.execute(definition)
        for table in TABLES:
            conn.execute(f"VACUUM ANALYZE {table}")
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
                if table != "contact_companies"
                else "SELECT 1"
            )
    return time.perf_counter() - started


def pages(url: str, n: int) -> dict[str, str]:
    """The URL of each page timed, with searches that pick one person of the
    book (so both sizes return the same few rows)."""
    k = n // 2 + 7
    with psycopg.connect(_dsn(url)) as conn:
        name, email = conn.execute(
            "SELECT name, email FROM contacts WHERE id = %s", [k]
        ).fetchone()
    token = name.rsplit(" ", 1)[1]
    return {
        "list": "/contacts/",
        "search by name": f"/contacts/?q={token}",
        "search by email": f"/contacts/?q={email.split('@')[0].split('.')[1]}",
        "companies": "/contacts/companies",
        "stats": "/contacts/sync/stats",
        "broad search (untargeted)": "/contacts/?q=lovelace",
    }


def time_pages(url: str, n: int) -> dict[str, float]:
    from prospecting import create_app
    from prospecting.services import accounts

    app = create_app(
        None,
        SQLALCHEMY_DATABASE_URI=url,
        HUEY_STORAGE="memory",
        WTF_CSRF_ENABLED=False,
        RATELIMIT_ENABLED=False,
    )
    with app.app_context():
        user = accounts.create_user(
            f"book{n}@bench.test", "bench-password-1", workspace="Bench"
        )
        workspace_id = user.memberships[0].workspace.id
    seconds = fill(url, workspace_id, n)
    print(f"  {n:,} contacts filled in {seconds:.0f}s", flush=True)
    client = app.test_client()
    client.post(
        "/login", data={"email": f"book{n}@bench.test", "password": "bench-password-1"}
    )
    medians = {}
    for label, path in pages(url, n).items():
        times = []
        for _ in range(REPEAT + 1):
            started = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (path, response.status_code)
        assert "<td" in response.get_data(as_text=True), path
        medians[label] = statistics.median(times[1:])  # the first warms caches
    return medians


def run(tmp=None, sizes: tuple[int, int] = SIZES) -> dict:
    timings = {}
    for n in sizes:
        url = common.fresh_database()
        try:
            timings[n] = time_pages(url, n)
        finally:
            common.drop_database(url)
    small, large = timings[sizes[0]], timings[sizes[1]]
    ratios = {}
    for label in small:
        ratio = large[label] / small[label]
        if "untargeted" not in label:
            ratios[label] = ratio
        print(
            f"  {label}: {small[label] * 1000:.1f} ms at {sizes[0]:,}, "
            f"{large[label] * 1000:.1f} ms at {sizes[1]:,}: {ratio:.2f}x "
            f"(medians of {REPEAT})"
        )
    worst = max(ratios, key=ratios.get)
    return common.report(
        f"book_pages at {sizes[1]:,} / at {sizes[0]:,} contacts",
        f"{ratios[worst]:.2f}x (worst: {worst})",
        f"<= {TARGET}x",
        ratios[worst] <= TARGET,
    )
