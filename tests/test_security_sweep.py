"""Security sweep driven by the URL map: CSRF, login, workspace isolation, escaping,
formula-safe exports and login rate limiting. New routes are covered automatically."""

import ast
import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed

from config import TestConfig
from prospecting import create_app
from prospecting.extensions import csrf
from prospecting.extensions import db
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import Membership
from prospecting.models import PersonProfile
from prospecting.models import Prospect
from prospecting.security import external_url
from prospecting.services import accounts
from prospecting.services import contacts
from prospecting.services import lists
from prospecting.services import members
from prospecting.services import outreach
from prospecting.services import prospects
from prospecting.services import searches
from prospecting.services import webhooks
from prospecting.services.contacts import ContactInput
from prospecting.services.contacts import merge
from prospecting.services.outreach import schemas
from tests import factories
from tests.conftest import provider_urls
from tests.factories import start_enrichment
from tests.test_prospects_service import connect
from tests.test_prospects_service import request_body

CIN = "U74999TG2017PTC118280"
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
UNSAFE = ("GET", "HEAD", "OPTIONS")
# Reachable without a session: the login page, assets, health, the API description
# and the fake providers (which only exist when SANDBOX_ENABLED).
# and an invitation link (its token is a secret, not an object's id).
PUBLIC = {"accounts.login", "static", "api.health", "api.openapi", "members.accept"}
NOT_IDS = {"filename", "name", "base", "table", "version", "token"}


def rules(app, *, methods=None, skip_blueprints=("sandbox",)):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.split(".")[0] in skip_blueprints:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if methods is None or method in methods:
                yield rule, method


def fill(rule, values: dict) -> str:
    """The rule's path with each <param> replaced by values[param]."""
    path = rule.rule
    for arg in rule.arguments:
        path = re.sub(rf"<(?:[^:>]+:)?{arg}>", str(values[arg]), path)
    return path


def dummy(rule) -> str:
    return fill(rule, {a: 1 if "int" in rule.rule else "x" for a in rule.arguments})


# CSRF


@pytest.fixture
def csrf_app(tmp_path, sandbox_url):
    app = create_app(
        TestConfig,
        WTF_CSRF_ENABLED=True,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'csrf.db'}",
        UPLOAD_DIR=str(tmp_path / "uploads"),
        **provider_urls(sandbox_url),
    )
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_csrf_exempt_set_is_exactly_the_api_and_the_sandbox(csrf_app):
    assert {bp.name for bp in csrf._exempt_blueprints} == {"api", "sandbox"}
    assert csrf._exempt_views == set()


def test_every_unsafe_route_refuses_a_missing_csrf_token(csrf_app):
    user = factories.make_user(email="csrf@acme.test")
    client = csrf_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    assert client.get("/").status_code == 200  # signed in
    checked = []
    for rule, method in rules(csrf_app, skip_blueprints=("sandbox", "api")):
        if method in UNSAFE:
            continue
        response = client.open(dummy(rule), method=method, data={"x": "1"})
        assert response.status_code == 400, (method, rule.rule)
        assert b"security token" in response.data, rule.rule
        checked.append(rule.endpoint)
    assert "accounts.login" in checked and len(checked) > 30


# Login


def test_every_page_and_api_route_refuses_anonymous_access(client):
    for rule, method in rules(client.application):
        if rule.endpoint in PUBLIC:
            continue
        response = client.open(dummy(rule), method=method)
        where = f"{method} {rule.rule}"
        if rule.endpoint.startswith("api."):
            assert response.status_code == 401, where
            assert response.get_json()["error"]["code"] == "unauthorized", where
        else:
            assert response.status_code == 302, where
            assert response.headers["Location"].startswith("/login"), where


def test_public_routes_answer_without_a_session(client):
    assert client.get("/login").status_code == 200
    assert client.get("/health").status_code == 200
    assert client.get("/api/openapi.json").status_code == 200


# Workspace isolation


def seed_workspace(workspace_id: int) -> dict[str, list]:
    """One object of each kind whose id appears in a URL, in one workspace."""
    enrichment_job = factories.enrichment_job(workspace_id)
    search = searches.start(workspace_id, None, {"job_title": ["CTO"]})
    saved = searches.save(workspace_id, search.id, "B's search")
    connect(workspace_id)
    prospect_job = prospects.create_job(workspace_id, None, request_body(10))
    company = contacts.save_company(workspace_id, name="B Ltd", registration_number=CIN)
    fetch_job = contacts.start_fetch(workspace_id, None, company.id)
    sync_job = factories.make_job(workspace_id, kind="airtable_sync")
    finder_job = factories.make_job(workspace_id, kind="email_finder")
    import_job = factories.make_job(
        workspace_id, kind="contact_import", params={"source": "enrichment"}
    )
    report = contacts.upsert_contacts(workspace_id, [ContactInput(email="b@b.io")])
    ingest_samples(workspace_id, "b-creator")
    creator = db.session.scalars(outreach.search_creators(workspace_id)).first()
    rule = outreach.save_rule(workspace_id, sample_status="shipped", template="Hi")
    task = ingest_task(workspace_id, "B task")
    batch = JobBatch(job_id=enrichment_job.id, seq=99, kind="enrichment.rows")
    db.session.add(batch)
    db.session.commit()
    token, _ = accounts.create_token(workspace_id, "B")
    owner = db.session.scalar(
        db.select(Membership.user_id).where(Membership.workspace_id == workspace_id)
    )
    invitation, _ = members.invite(
        workspace_id, "invited@b.test", "member", by_user_id=owner, by_role="owner"
    )
    endpoint, _ = webhooks.add_endpoint(
        workspace_id, "http://127.0.0.1:9/", ["job.failed"]
    )
    (delivery_id,) = webhooks.emit(workspace_id, "job.failed", {"job": None})
    db.session.commit()
    pair = contacts.upsert_contacts(
        workspace_id, [ContactInput(email="m1@b.io"), ContactInput(email="m2@b.io")]
    )
    _, merged = merge.merge(
        workspace_id, pair.items[0].contact_id, [pair.items[1].contact_id]
    )

    leads = lists.create_list(workspace_id, "Leads")
    job_ids = [
        enrichment_job.id,
        search.id,
        prospect_job.id,
        fetch_job.id,
        sync_job.id,
        finder_job.id,
        import_job.id,
        factories.make_job(workspace_id, kind="lists_bulk").id,
    ]
    return {
        "job_id": job_ids,
        "search_id": job_ids,
        "upload_id": [enrichment_job.params["upload_id"]],
        "saved_id": [saved.id],
        "company_id": [company.id],
        "contact_id": [report.items[0].contact_id],
        "creator_id": [creator.id],
        "rule_id": [rule.id],
        "task_id": [task.id],
        "batch_id": [batch.id],
        "token_id": [token.id],
        "user_id": [owner],
        "invitation_id": [invitation.id],
        "endpoint_id": [endpoint.id],
        "delivery_id": [delivery_id],
        "merge_id": [merged.id],
        "list_id": [leads.id],
    }


def ingest_samples(workspace_id: int, creator: str, name: str = "Creator") -> None:
    row = {
        "platformProductId": "p-1",
        "productName": "Product",
        "status": "shipped",
        "platformCreatorId": creator,
        "platformCreatorDisplayName": name,
    }
    parsed = schemas.parse(schemas.SamplesIngest, {"rows": [row]})
    outreach.ingest_samples(workspace_id, parsed)


def ingest_task(workspace_id: int, name: str):
    body = {"task": {"taskId": f"T-{name}", "taskName": name}}
    parsed = schemas.parse(schemas.TasksIngest, body)
    return outreach.ingest_task(workspace_id, parsed, body["task"])[0]


def id_routes(app):
    for rule, method in rules(app):
        ids = [a for a in rule.arguments if a not in NOT_IDS]
        if ids:
            yield rule, method, ids


def urls_for(rule, ids: list[str], objects: dict) -> list[str]:
    missing = [a for a in ids if a not in objects]
    assert not missing, f"{rule.rule}: seed an object for {missing}"
    (arg,) = ids  # every id route names one object
    return [
        fill(rule, {**dict.fromkeys(rule.arguments, "x"), arg: v}) for v in objects[arg]
    ]


def test_every_id_route_is_404_for_another_workspaces_ids(
    app, auth_client, workspace, other_workspace
):
    theirs = seed_workspace(other_workspace.id)
    # An admin token: a route's role is checked before its object is looked up.
    api = {"X-API-Key": factories.make_token(workspace.id, role="admin")}
    seen = set()
    for rule, method, ids in id_routes(app):
        for url in urls_for(rule, ids, theirs):
            headers = api if rule.endpoint.startswith("api.") else {}
            response = auth_client.open(url, method=method, headers=headers, data={})
            assert response.status_code == 404, (method, url, response.status_code)
        seen.add(rule.endpoint)
    assert len(seen) > 40
    for job_id in theirs["job_id"]:
        for path in ("create-job", "results"):
            url = f"/api/linkedin/search/{path}?job_id={job_id}"
            assert auth_client.get(url, headers=api).status_code == 404, url
    sync = auth_client.get(f"/ops/throughput?job_id={theirs['job_id'][0]}")
    assert sync.status_code == 404


def test_the_seeded_ids_are_real_for_their_own_workspace(app, client, other_workspace):
    """The 404s above mean isolation only if the owner can open the same URLs."""
    theirs = seed_workspace(other_workspace.id)
    factories.login(client, "someone@other.test")
    api = {"X-API-Key": factories.make_token(other_workspace.id)}
    for rule, method, ids in id_routes(app):
        if method != "GET":
            continue
        headers = api if rule.endpoint.startswith("api.") else {}
        answers = {
            client.get(url, headers=headers).status_code
            for url in urls_for(rule, ids, theirs)
        }
        assert answers - {404}, rule.rule


# Escaping


def test_names_with_script_tags_render_escaped(app, auth_client, workspace):
    ws = workspace.id
    # Listed on /enrichment/ by file name. A slash would end the file name at
    # "script>", so the tag stays unclosed here.
    listed = factories.enrichment_job(
        ws, factories.contacts_csv(1), name="<script>alert(1).csv"
    )
    job = start_enrichment(auth_client, people_csv([SCRIPT]))
    report = contacts.upsert_contacts(ws, [ContactInput(name=SCRIPT, email="s@x.io")])
    company = contacts.save_company(ws, name=SCRIPT, registration_number=CIN)
    ingest_samples(ws, "evil", name=SCRIPT)
    creator = db.session.scalars(outreach.search_creators(ws)).first()
    task = ingest_task(ws, SCRIPT)
    search = searches.start(ws, None, {"job_title": [SCRIPT]})
    searches.save(ws, search.id, SCRIPT)
    pages = [
        "/enrichment/",
        f"/enrichment/uploads/{listed.params['upload_id']}",
        f"/enrichment/jobs/{job.id}/results",
        "/contacts/",
        f"/contacts/{report.items[0].contact_id}",
        "/contacts/companies",
        f"/contacts/companies/{company.id}",
        "/outreach/",
        f"/outreach/creators/{creator.id}",
        "/outreach/tasks",
        f"/outreach/tasks/{task.id}",
        "/searches/",
        f"/searches/{search.id}",
    ]
    for page in pages:
        text = auth_client.get(page).get_data(as_text=True)
        assert "<script>alert" not in text, page
        assert "&lt;script&gt;alert(1)" in text, page


# Formula-safe exports

DANGEROUS = ["=HYPERLINK(1)", "+1+1", "-2+3", "@SUM(A1)"]


def people_csv(names: list[str]) -> bytes:
    rows = [["Name", "Email", "Company", "Phone", "Website"]]
    rows += [[n, f"p{i}@example.com", n, "", ""] for i, n in enumerate(names)]
    return factories.csv_bytes(rows)


def cells(response) -> list[str]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_neutralised(values: list[str]) -> None:
    for bad in DANGEROUS:
        assert bad not in values, bad
        assert f"'{bad}" in values, bad
    assert not [v for v in values if v and v[0] in "=+-@"]


def test_enrichment_export_neutralises_formula_cells(auth_client, workspace):
    job = start_enrichment(auth_client, people_csv(DANGEROUS))
    assert_neutralised(cells(auth_client.get(f"/enrichment/jobs/{job.id}/export.csv")))


def test_people_search_export_neutralises_formula_cells(auth_client, workspace):
    search = searches.start(workspace.id, None, {"job_title": ["CTO"]})
    for i, bad in enumerate(DANGEROUS):
        db.session.add(
            PersonProfile(
                search_id=search.id,
                provider_record_id=f"r{i}",
                full_name=bad,
                company_name=bad,
                raw_data={},
            )
        )
    db.session.commit()
    assert_neutralised(cells(auth_client.get(f"/searches/{search.id}/export.csv")))


def test_prospect_search_export_neutralises_formula_cells(auth_client, workspace):
    connect(workspace.id)
    job = prospects.create_job(workspace.id, None, request_body(10))
    for i, bad in enumerate(DANGEROUS):
        db.session.add(
            Prospect(job_id=job.id, batch=1, provider_id=f"p{i}", name=bad, company=bad)
        )
    db.session.commit()
    response = auth_client.get(f"/prospects/jobs/{job.id}/export.csv")
    assert_neutralised(cells(response))


# Login rate limit


def test_login_attempts_are_rate_limited(app, client, user):
    app.config["LOGIN_RATE_LIMIT"] = "5/minute"
    answers = [
        factories.login(client, user.email, "wrong password").status_code
        for _ in range(7)
    ]
    assert answers[:5] == [401] * 5
    assert answers[5:] == [429, 429]
    # The right password is refused too until the window passes.
    assert factories.login(client, user.email).status_code == 429


# Out-of-range numbers (found while fuzzing: both were 500s)


def test_ids_too_large_for_a_column_match_no_route(app, auth_client):
    big = 10**25
    for rule, method in rules(app):
        ints = [a for a in rule.arguments if f"int:{a}" in rule.rule]
        if ints:
            url = fill(rule, {a: big if a in ints else "x" for a in rule.arguments})
            status = auth_client.open(url, method=method).status_code
            assert status in ((404,) if method == "GET" else (404, 405)), url


@pytest.mark.parametrize(
    "url",
    ["/contacts/?page=", "/contacts/?company=", "/outreach/messages?page="],
)
def test_query_numbers_too_large_for_a_column_are_422(auth_client, url):
    response = auth_client.get(f"{url}{10**25}")
    assert response.status_code == 422
    assert b"out of range" in response.data


# Every page: security headers, nothing inline (the CSP allows none), and links
# from data that are http(s) only


class Markup(HTMLParser):
    """What the CSP or a hostile URL cares about in a page: inline scripts and
    styles, event-handler attributes, and link targets."""

    def __init__(self):
        super().__init__()
        self.inline, self.targets = [], []
        self._script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._script = tag == "script" and "src" not in attrs
        if tag == "style":
            self.inline.append("<style>")
        for name, value in attrs.items():
            if name == "style" or name.startswith("on"):
                self.inline.append(f"{tag} {name}={value!r}")
            if name in ("href", "src", "action", "formaction") and value:
                self.targets.append(value)

    def handle_data(self, data):
        if self._script and data.strip():
            self.inline.append(f"<script>{data[:40]}")

    def handle_endtag(self, tag):
        self._script = False


def parse_page(html: str) -> Markup:
    parser = Markup()
    parser.feed(html)
    return parser


def unsafe_targets(targets: list[str]) -> list[str]:
    def ok(value):
        scheme = urlsplit(value.strip()).scheme.lower()
        return scheme in ("", "http", "https") and not value.startswith("//")

    return [t for t in targets if not ok(t)]


def own_get_urls(app, objects: dict) -> list[str]:
    urls = []
    for rule, _ in rules(app, methods={"GET"}):
        ids = [a for a in rule.arguments if a not in NOT_IDS]
        if ids:
            urls += urls_for(rule, ids, objects)
        else:
            urls.append(dummy(rule))
    return urls


HOSTILE = "javascript:alert(document.domain)"


def test_every_page_carries_security_headers_and_nothing_inline(
    app, operator_client, workspace
):
    ours = seed_workspace(workspace.id)
    checked = 0
    for url in own_get_urls(app, ours):
        # Closed before the next request: a half-read streamed export closed later
        # would pop its request context over another's.
        with operator_client.get(url) as response:
            body = response.get_data(as_text=True)
        headers = response.headers
        csp = headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in csp and "style-src 'self'" in csp, url
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp, url
        assert headers.get("X-Frame-Options") == "DENY", url
        assert headers.get("X-Content-Type-Options") == "nosniff", url
        assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin"
        if response.mimetype == "text/html":
            page = parse_page(body)
            assert page.inline == [], (url, page.inline)
            assert unsafe_targets(page.targets) == [], url
            checked += 1
    assert checked > 30
    for url in ("/login", "/nowhere", "/api/openapi.json"):
        assert "Content-Security-Policy" in operator_client.get(url).headers


def test_links_from_provider_data_are_http_or_https_only(auth_client, workspace):
    """A javascript: URL from a provider or an upload never reaches an href; an
    https one is a link everywhere."""
    ws = workspace.id
    report = contacts.upsert_contacts(
        ws,
        [
            ContactInput(email="evil@x.io", linkedin_url=HOSTILE),
            ContactInput(email="good@x.io", linkedin_url="https://lnkd.test/in/good"),
        ],
    )
    evil_contact, good_contact = (i.contact_id for i in report.items)
    connect(ws)
    job = prospects.create_job(ws, None, request_body(10))
    search = searches.start(ws, None, {"job_title": ["CTO"]})
    for i, url in enumerate([HOSTILE, " JavaScript:alert(1)", "https://lnkd.test/p"]):
        db.session.add(
            Prospect(job_id=job.id, batch=1, provider_id=f"p{i}", linkedin_url=url)
        )
        db.session.add(
            PersonProfile(
                search_id=search.id,
                provider_record_id=f"r{i}",
                full_name=f"P{i}",
                linkedin_url=url,
                raw_data={},
            )
        )
    db.session.commit()
    pages = [
        f"/contacts/{evil_contact}",
        f"/contacts/{good_contact}",
        f"/prospects/jobs/{job.id}",
        f"/prospects/jobs/{job.id}/table",
        f"/searches/{search.id}/profiles",
    ]
    links = []
    for url in pages:
        response = auth_client.get(url)
        assert response.status_code == 200, url
        targets = parse_page(response.get_data(as_text=True)).targets
        assert unsafe_targets(targets) == [], url
        links += [t for t in targets if t.startswith("https://lnkd.test")]
    assert links.count("https://lnkd.test/in/good") == 1
    assert links.count("https://lnkd.test/p") == 3  # job page, table, profiles


@pytest.mark.parametrize(
    "value,expected",
    [
        ("https://www.linkedin.com/in/x", "https://www.linkedin.com/in/x"),
        (" http://example.com/a?b=1 ", "http://example.com/a?b=1"),
        (HOSTILE, None),
        ("java\tscript:alert(1)", None),
        ("JAVASCRIPT:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("//evil.example/x", None),
        ("/relative/path", None),
        ("https:///no-host", None),
        ("", None),
        (None, None),
    ],
)
def test_external_url_keeps_only_absolute_http_links(value, expected):
    assert external_url(value) == expected


# JSON bodies: unparsable or too deep is a 400 in the one error envelope

JSON_ENDPOINTS = {
    "/samples/ingest": "ingest",
    "/creators/ingest": "ingest",
    "/outreach_tasks/ingest": "ingest",
    "/chatbot/messages": "ingest",
    "/contacts/fetch": "contacts",
    "/api/v1/people-search/": "searches",
    "/api/linkedin/search/create-job": "prospects",
    "/api/v1/email-finder": "finder",
    "/api/v1/webhooks": "webhooks",
    "/api/v1/contacts": "contacts",
    "/api/v1/contacts/import": "contacts",
    "/api/v1/contacts/merge": "contacts",
    "/api/v1/contacts/<contact_id>/erase": "contacts",
    "/api/v1/lists": "lists",
    "/api/v1/lists/<list_id>/members": "lists",
}
DEEP = "[" * 100_000 + "]" * 100_000


def error_message(body: dict) -> str:
    assert set(body) == {"error"} and body["error"]["code"] == "invalid_json"
    return body["error"]["message"]


def test_the_json_endpoints_are_the_eight_json_post_routes(app):
    posts = {
        rule.rule
        for rule, _ in rules(app, methods={"POST"})
        if rule.endpoint.startswith("api.")
    }
    assert posts - {"/jobs/upload"} == set(JSON_ENDPOINTS)  # upload is multipart


@pytest.mark.parametrize("path,family", JSON_ENDPOINTS.items())
@pytest.mark.parametrize(
    "body,says",
    [
        (DEEP, "nested more than 64 levels"),
        ("[" * 65 + "]" * 65, "nested more than 64 levels"),
        ('{"rows": [' + "[" * 2000 + "]" * 2000 + "]}", "nested more than 64"),
        ('{"task": {"taskId": "T-1",', "not valid JSON"),
        (b'{"cin": "\xff"}', "not valid JSON"),
    ],
    ids=["100k-brackets", "65-levels", "deep-inside", "truncated", "not-utf8"],
)
def test_json_endpoints_answer_400_in_the_error_envelope_for_bad_or_deep_json(
    client, workspace, path, family, body, says
):
    api_headers = {"X-API-Key": factories.make_token(workspace.id, role="admin")}
    response = client.post(
        path, data=body, headers=api_headers, content_type="application/json"
    )
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert says in error_message(response.get_json())


def test_json_nested_64_levels_is_still_accepted(client, api_headers):
    body = {"rows": [{"platformCreatorId": "c-1", "extra": json_nested(60)}]}
    response = client.post("/creators/ingest", json=body, headers=api_headers)
    assert response.status_code == 200, response.get_json()


def json_nested(depth: int):
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


# 405 and content types


def test_every_405_names_the_allowed_methods(app, auth_client):
    adapter = app.url_map.bind("localhost")
    seen = 0
    for rule, _ in rules(app, skip_blueprints=()):
        if rule.endpoint == "static":
            continue
        url = dummy(rule)
        try:
            adapter.match(url, method="PATCH")
        except MethodNotAllowed as exc:
            allowed = set(exc.valid_methods)
        else:
            continue
        response = auth_client.open(url, method="PATCH")
        assert response.status_code == 405, url
        assert set(response.headers["Allow"].split(", ")) == allowed, url
        seen += 1
    assert seen > 80


def test_csv_downloads_name_their_charset_once(auth_client, workspace):
    job = start_enrichment(auth_client, people_csv(["Ann"]))
    response = auth_client.get(f"/enrichment/jobs/{job.id}/export.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


# Text the database cannot store (NUL): refused where the request is read


def test_every_page_post_route_refuses_a_nul_in_a_form_field(app, operator_client):
    checked = []
    for rule, method in rules(app, skip_blueprints=("sandbox", "api")):
        if method != "POST":
            continue
        response = operator_client.post(dummy(rule), data={"note": "a\x00b"})
        assert response.status_code == 422, rule.rule
        assert b"&#39;note&#39; contains a NUL character" in response.data, rule.rule
        checked.append(rule.endpoint)
    assert len(checked) > 30


def test_every_json_api_post_route_refuses_a_nul_naming_its_path(
    app, client, workspace
):
    api_headers = {"X-API-Key": factories.make_token(workspace.id, role="admin")}
    checked = []
    for rule, method in rules(app, skip_blueprints=("sandbox",)):
        if method != "POST" or not rule.endpoint.startswith("api."):
            continue
        if rule.rule == "/jobs/upload":  # multipart: see test_upload_limits.py
            continue
        body = {"x": {"y": ["ok", "a\x00b"]}}
        response = client.post(dummy(rule), json=body, headers=api_headers)
        assert response.status_code == 422, rule.rule
        assert "$.x.y[1] contains a NUL" in response.get_data(as_text=True), rule.rule
        checked.append(rule.rule)
    assert len(checked) >= 7


# Work saved while the queue is down is never a 503: every view that sends work
# says what happened (tasks.enqueue_batches returns False; see test_queue_down.py)


def test_every_view_that_enqueues_handles_an_unreachable_queue():
    views = Path(__file__).resolve().parents[1] / "prospecting" / "views"
    dropped, sends = [], 0
    for path in sorted(views.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                if ast.unparse(node.value.func) == "tasks.enqueue_batches":
                    dropped.append(f"{path.name}:{node.lineno}")
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            sends += name == "tasks.enqueue_batches"
            if name.endswith(".schedule") or name == "huey.enqueue":
                # Only "run now" of a periodic task on the ops page: not a job.
                assert path.name == "ops.py", f"{path.name}: {name}"
    assert dropped == [], "a view must tell the user when the queue is down"
    assert sends >= 14


# Roles: every route, for every role, answers as the one rule table says

# The policy, restated here from the issue so that a change to the table that
# breaks it fails: reading needs viewer; any write needs member, except these.
ADMIN_ONLY = {
    "accounts.create_token",
    "accounts.confirm_revoke_token",
    "accounts.revoke_token",
    "members.invite",
    "members.revoke_invitation",
    "members.change_role",
    "members.confirm_remove",
    "members.remove",
    "prospects.save_account",
    "prospects.test_account",
    "prospects.remove_account",
    "contacts.save_airtable",
    "finder.save_settings",
    "contacts.unmap_missing_fields",
    "webhooks.create",
    "webhooks.resend",
    "webhooks.confirm_delete",
    "webhooks.delete",
    "api.create_webhook",
    "api.delete_webhook",
}
OWNER_ONLY = {
    "accounts.save_caps",
    "accounts.confirm_delete_workspace",
    "accounts.delete_workspace",
}
OPERATOR_ONLY = {"ops.queue", "ops.periodic", "ops.run_now", "searches.proxies"}
# Writes to one's own session and password: any member, viewers included.
SELF_SERVICE = {
    "accounts.logout",
    "accounts.change_password",
    "accounts.switch_workspace",
}
# Pages that only serve a member's action (its form): they need member.
MEMBER_PAGES = {
    "contacts.edit",
    "contacts.new",
    "contacts.import_csv_form",
    "contacts.merge_preview",
    "contacts.import_csv_preview",
    "contacts.erase_form",
    "contacts.confirm_delete",
    "enrichment.rerun_form",
    "outreach.edit_rule",
    "outreach.confirm_delete_rule",
}
ROLE_NAMES = ("viewer", "member", "admin", "owner")
BIG_ID = 10**6


def policy_level(rule) -> str:
    """What the issue says an endpoint needs."""
    name = rule.endpoint
    if name in PUBLIC or name.split(".")[0] == "sandbox":
        return "public"
    if name in OPERATOR_ONLY:
        return "operator"
    if name in OWNER_ONLY:
        return "owner"
    if name in ADMIN_ONLY:
        return "admin"
    writes = rule.methods - {"GET", "HEAD", "OPTIONS"}
    if name in MEMBER_PAGES or (writes and name not in SELF_SERVICE):
        return "member"
    return "viewer"


def may(role: str, level: str, operator: bool = False) -> bool:
    if level == "operator":
        return operator
    return ROLE_NAMES.index(role) >= ROLE_NAMES.index(level)


def big_ids(rule) -> str:
    return fill(
        rule, {a: BIG_ID if f"int:{a}" in rule.rule else "x" for a in rule.arguments}
    )


def test_the_rule_table_lists_every_route_as_the_policy_says(app):
    from prospecting import auth

    listed = {e for names in auth.RULES.values() for e in names}
    seen = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in auth.PUBLIC_BLUEPRINTS:
            continue
        assert rule.endpoint in listed, f"{rule.endpoint}: add it to auth.RULES"
        assert auth.level_of(rule.endpoint) == policy_level(rule), rule.endpoint
        seen.add(rule.endpoint)
    assert listed - seen == set(), "auth.RULES lists endpoints that do not exist"
    assert auth.level_of("nowhere.new_route") == "owner"  # unknown: the strictest


def member_client(app, role: str, workspace, *, operator=False):
    user = factories.make_user(email=f"{role}@acme.test", workspace="Acme")
    db.session.get(Membership, (user.id, workspace.id)).role = role
    db.session.commit()
    if operator:
        accounts.set_operator(user.email, True)
    client = app.test_client()
    assert factories.login(client, user.email).status_code == 302
    return client


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_page_route_answers_each_role_as_the_rule_table_says(
    app, workspace, role
):
    client = member_client(app, role, workspace)
    checked = {"allowed": 0, "refused": 0}
    routes = sorted(
        rules(app, skip_blueprints=("sandbox", "api")),
        key=lambda r: r[0].endpoint == "accounts.logout",  # signs out: last
    )
    for rule, method in routes:
        level = policy_level(rule)
        if level == "public":
            continue
        response = client.open(big_ids(rule), method=method, data={})
        where = f"{role} {method} {rule.rule}"
        if may(role, level):
            assert response.status_code not in (401, 403), where
            if rule.endpoint != "accounts.logout":  # the login page is its answer
                assert "/login" not in response.headers.get("Location", ""), where
            checked["allowed"] += 1
        else:
            assert response.status_code == 403, (where, response.status_code)
            text = response.get_data(as_text=True)
            assert f"Your role in Acme is {role}" in text or "operator" in text, where
            checked["refused"] += 1
    assert checked["allowed"] > 30
    assert checked["refused"] >= (4 if role == "owner" else 7)


def test_an_operator_of_any_role_opens_the_system_pages(app, workspace):
    client = member_client(app, "viewer", workspace, operator=True)
    for url in ("/ops/queue", "/ops/periodic", "/searches/proxies"):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ("viewer", "member", "admin"))
def test_every_api_route_answers_each_token_role_as_the_rule_table_says(
    app, client, workspace, role
):
    _, raw = accounts.create_token(workspace.id, role, role=role)
    headers = {"X-API-Key": raw}
    refused = 0
    for rule, method in rules(app, skip_blueprints=("sandbox",)):
        if not rule.endpoint.startswith("api.") or rule.endpoint in PUBLIC:
            continue
        level = policy_level(rule)
        # Each response is closed before the next request: the test client reads
        # the first chunk of a streamed export, and a half-read stream closed later
        # (when the name is reused) would pop its request context over another's.
        with client.open(
            big_ids(rule), method=method, headers=headers, json={}
        ) as response:
            body = response.get_json(silent=True)
        where = f"{role} token {method} {rule.rule}"
        if may(role, level):
            assert response.status_code not in (401, 403), where
            continue
        assert response.status_code == 403, (where, response.status_code)
        assert set(body) == {"error"}, (where, body)
        assert body["error"]["code"] == "forbidden", (where, body)
        assert f"This API token is {role}" in str(body), where
        refused += 1
    # Viewers write nothing, members manage no webhooks, admins may call every route.
    assert (refused > 0) == (role != "admin"), refused


class Actions(HTMLParser):
    """Where a page's forms, htmx requests and links lead, and its form fields."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url = page_url
        self.targets: list[tuple[str, str]] = []
        self.fields: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self.targets.append(("POST", attrs.get("action") or self.page_url))
        if tag == "a" and (attrs.get("href") or "").startswith("/"):
            self.targets.append(("GET", attrs["href"]))
        for method in ("get", "post", "put", "patch", "delete"):
            if attrs.get(f"hx-{method}"):
                self.targets.append((method.upper(), attrs[f"hx-{method}"]))
        if tag in ("input", "select", "textarea") and attrs.get("name"):
            self.fields.add(attrs["name"])


@pytest.mark.parametrize("role", ("viewer", "member", "admin"))
def test_pages_offer_no_action_the_role_cannot_take(app, workspace, role):
    """Every form, button, htmx request and link on every page leads somewhere the
    role may go; the pages hide the rest."""
    from prospecting import auth

    ours = seed_workspace(workspace.id)
    paused = db.session.get(Job, ours["job_id"][0])  # the enrichment job
    paused.status = "paused"
    db.session.commit()
    client = member_client(app, role, workspace)
    adapter = app.url_map.bind("localhost")
    offered = set()
    urls = own_get_urls(app, ours)
    for url in urls:
        with client.get(url) as response:  # closed before the next request
            body = response.get_data(as_text=True)
        if response.mimetype != "text/html" or response.status_code == 403:
            continue
        page = Actions(url)
        page.feed(body)
        for method, target in page.targets:
            path = urlsplit(target).path
            try:
                endpoint, _ = adapter.match(path, method=method)
            except Exception:  # a link outside the app's routes (static, sandbox)
                continue
            level = auth.level_of(endpoint)
            assert auth.allows(role, level), f"{url} offers {role} {method} {path}"
            offered.add(endpoint)
        for fields in auth.FIELD_RULES.values():
            for field, level in fields.items():
                if not auth.allows(role, level):
                    assert field not in page.fields, f"{url} shows {role} {field}"
    if role == "viewer":
        assert not offered & {"enrichment.upload", "jobs.cancel", "searches.create"}
    else:
        assert {"enrichment.upload", "searches.create", "jobs.resume"} <= offered
    assert ("accounts.create_token" in offered) == (role == "admin")
