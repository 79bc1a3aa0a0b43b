"""Browser fixtures: a live app server in a thread, a real `flask worker` process on
a shared SQLite database and SQLite queue, and a Playwright page on Debian's Chromium.

Playwright never downloads a browser here: it launches /usr/bin/chromium (installed by
scripts/install-browser.sh). Without it the tests skip, except under CI=true where a
missing browser fails the run.
"""

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from config import TestConfig
from prospecting import create_app
from prospecting.extensions import db
from prospecting.sandbox import faults
from tests.conftest import provider_urls
from tests.integration.conftest import Worker

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Sandbox latency per provider call: slow enough that the progress bar is seen moving.
SANDBOX_LATENCY_MS = 60
REPORTS = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so fixtures can tell a failed test."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


def _require_browser() -> None:
    if os.path.exists(CHROMIUM):
        return
    reason = f"{CHROMIUM} is missing: run scripts/install-browser.sh (apt-get chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium; Playwright gives it a fresh temporary profile."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def live_config(tmp_path):
    """Settings shared by the live server thread and the worker process."""
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e2e.db'}",
        "HUEY_STORAGE": "sqlite",
        "HUEY_SQLITE_PATH": str(tmp_path / "huey.db"),
        "HUEY_IMMEDIATE": False,
        "RATELIMIT_STORAGE_URL": "memory://",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
    }


@pytest.fixture
def live_server(live_config, tmp_path, empty_schema):
    """The app served over real HTTP (with its sandbox providers), CSRF switched on;
    yields (app, base_url) with the app context pushed for test data."""
    _require_browser()
    shutil.copyfile(empty_schema, tmp_path / "e2e.db")
    app = create_app(TestConfig, WTF_CSRF_ENABLED=True, **live_config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    # The providers are this same server's sandbox blueprint.
    app.config.update(provider_urls(f"{base_url}/sandbox"))
    live_config.update(provider_urls(f"{base_url}/sandbox"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    with app.app_context():
        thread.start()
        faults.set_overrides({"latency_ms": SANDBOX_LATENCY_MS})
        yield app, base_url
        server.shutdown()
        thread.join(5)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def worker_env():
    """Extra environment for the worker process; a test module overrides this."""
    return {}


@pytest.fixture
def worker(live_server, live_config, worker_env, tmp_path, request):
    """A real `flask worker` consuming the SQLite queue of the live server; its log
    goes to test-artifacts/<test name>.worker.log when the test fails."""
    env = {
        "HUEY_SQLITE_PATH": live_config["HUEY_SQLITE_PATH"],
        # Small batches so that progress advances in several visible steps.
        "ENRICHMENT_BATCH_SIZE": "8",
        **worker_env,
    }
    # A job's batch size is fixed when it starts, in the live server: the same.
    live_server[0].config["ENRICHMENT_BATCH_SIZE"] = int(env["ENRICHMENT_BATCH_SIZE"])
    proc = Worker(live_config, tmp_path / "worker.log", threads=2, extra_env=env)
    yield proc
    proc.stop()
    if _failed(request):
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"{_stem(request.node.name)}.worker.log").write_bytes(
            proc.log.read_bytes()
        )


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser context and page on the live server; on failure its screenshot
    and HTML go to test-artifacts/<test name>.png/.html."""
    _, base_url = live_server
    context = browser.new_context(base_url=base_url, accept_downloads=True)
    context.set_default_timeout(10_000)
    expect.set_options(timeout=10_000)  # a shared 2-core machine can be slow
    page = context.new_page()
    yield page
    if _failed(request):
        save_artifacts(page, request.node.name)
    context.close()


def _failed(request) -> bool:
    call = request.node.stash.get(REPORTS, {}).get("call")
    return call is not None and call.failed


def _stem(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name)


def save_artifacts(page, name: str) -> Path:
    """Write a full-page screenshot and the HTML of `page`; return the PNG path."""
    ARTIFACTS.mkdir(exist_ok=True)
    stem = ARTIFACTS / _stem(name)
    png = stem.with_suffix(".png")
    page.screenshot(path=str(png), full_page=True)
    stem.with_suffix(".html").write_text(page.content(), encoding="utf-8")
    return png


def sign_in(page, email: str) -> None:
    """Sign in through the login form as a user made with factories.PASSWORD."""
    from tests import factories

    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".topbar .who")).to_contain_text(email)


def snapshot(page, name: str) -> Path:
    """A small full-page JPEG of a test's final page, kept as a CI artefact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{_stem(name)}.jpg"
    page.screenshot(path=str(path), full_page=True, type="jpeg", quality=40)
    return path
