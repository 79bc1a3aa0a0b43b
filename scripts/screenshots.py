"""Refresh docs/screenshots/: the main pages of a seeded demo workspace at 390 and
1440 px, taken with the browser setup of the browser tests (tests/e2e).

    .venv/bin/python scripts/screenshots.py [page name ...]

Runs the app on a throw-away SQLite database in this process; needs /usr/bin/chromium
(scripts/install-browser.sh). Each PNG is the first screen of the page (not the whole
page), so the files stay small.
"""

import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from config import TestConfig  # noqa: E402
from prospecting import create_app  # noqa: E402
from prospecting.extensions import db  # noqa: E402
from tests.conftest import provider_urls  # noqa: E402
from tests.e2e.conftest import CHROMIUM  # noqa: E402
from tests.e2e.conftest import CHROMIUM_ARGS  # noqa: E402
from tests.e2e.pages import main_pages  # noqa: E402
from tests.e2e.pages import open_page  # noqa: E402
from tests.e2e.pages import seed  # noqa: E402
from tests.e2e.pages import sign_in_demo  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
# The pages the README shows; the browser test checks every main page.
SHOWN = (
    "home",
    "enrichment",
    "enrichment-preview",
    "enrichment-job",
    "searches",
    "prospects",
    "contacts",
    "companies",
    "contact",
    "airtable",
    "finder",
    "outreach",
    "outreach-rules",
    "ops",
    "settings",
    "members",
)
VIEWPORTS = {390: 844, 1440: 900}


def main(names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            TestConfig,
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/shots.db",
            UPLOAD_DIR=f"{tmp}/uploads",
            HUEY_STORAGE="memory",
        )
        server = make_server("127.0.0.1", 0, app, threaded=True)
        base_url = f"http://127.0.0.1:{server.server_port}"
        app.config.update(provider_urls(f"{base_url}/sandbox"))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with app.app_context():
                db.create_all()
                pages = dict(main_pages(seed(app)))
                shoot(base_url, {n: pages[n] for n in names or SHOWN})
        finally:
            server.shutdown()


def shoot(base_url: str, pages: dict[str, str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(base_url=base_url)
        page = context.new_page()
        sign_in_demo(page)
        for width, height in VIEWPORTS.items():
            page.set_viewport_size({"width": width, "height": height})
            for name, path in pages.items():
                open_page(page, path)
                target = OUT / f"{name}-{width}.png"
                page.screenshot(path=str(target), animations="disabled")
                print(f"{target.relative_to(ROOT)}  {target.stat().st_size // 1024} KB")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
