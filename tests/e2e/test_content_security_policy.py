"""Every page in a real browser under the Content-Security-Policy: no violation (an
inline script or style, a foreign source) and no script error, htmx and uPlot
included."""

import pytest

from prospecting.extensions import db
from prospecting.models import ProviderCall
from prospecting.services import accounts
from tests import factories
from tests.e2e.conftest import sign_in
from tests.test_security_sweep import own_get_urls
from tests.test_security_sweep import seed_workspace

pytestmark = pytest.mark.e2e

# Records what the browser reports; added by Playwright, so the page's CSP does not
# apply to this script itself.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI || "inline"} ${where}`);
});
"""
# Routes that answer a file (the browser downloads it: no page to check).
DOWNLOADS = (".csv", ".xlsx", "/export")


def refused(text: str) -> bool:
    """Chromium's console line for a CSP violation."""
    return "Content Security Policy" in text or text.startswith("Refused to")


def browse(page, path: str, problems: list) -> bool:
    """Open a page and collect its violations; False when it is not an HTML page."""
    response = page.goto(path)
    assert "script-src 'self'" in response.headers["content-security-policy"], path
    if response.status != 200 or "text/html" not in response.headers["content-type"]:
        return False
    try:
        # Sections that load or poll themselves (charts, progress) get to run.
        page.wait_for_load_state("networkidle", timeout=4_000)
    except Exception:  # a page polling every second is never idle: it ran anyway
        pass
    problems += [f"{path}: {v}" for v in page.evaluate("window.__csp || []")]
    return True


def test_every_page_loads_without_a_csp_violation(page, live_server):
    app, _ = live_server
    user = factories.make_user(email="csp@acme.test", workspace="Acme")
    accounts.set_operator(user.email, True)
    ours = seed_workspace(user.memberships[0].workspace_id)
    db.session.add(
        ProviderCall(
            provider="emails", endpoint="check_email", method="POST", latency_ms=12,
            status_code=200, job_id=ours["job_id"][0],
        )
    )  # fmt: skip
    db.session.commit()
    problems: list[str] = []
    page.on("console", lambda m: refused(m.text) and problems.append(m.text))
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.add_init_script(LISTEN)
    browse(page, "/login", problems)
    sign_in(page, user.email)
    paths = [
        url
        for url in own_get_urls(app, ours)
        if not url.startswith("/api/")
        and not url.endswith(DOWNLOADS)
        and "openapi" not in url
    ]
    pages = [path for path in paths if browse(page, path, problems)]
    assert len(pages) > 35, pages
    # The job page draws its throughput chart with uPlot under the policy.
    page.goto(f"/enrichment/jobs/{ours['job_id'][0]}")
    page.locator(".ops-chart .uplot").first.wait_for()
    assert problems == []

    # The listener is live: a style attribute is refused and reported.
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_function("window.__csp.length > 0")
    assert "style-src" in page.evaluate("window.__csp[0]")
