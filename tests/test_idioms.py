"""The one idiom for forms and dates stays: no template formats a date by hand or
writes its own CSRF input, and no view reads the submitted form by hand."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
VIEWS = ROOT / "prospecting" / "views"

HAND_CSRF = re.compile(r"""name=["']csrf_token["']""")

# Lines allowed to break the idiom, each with its reason (none today).
ALLOWED: set[tuple[str, str]] = set()


def _hits(folder: Path, pattern, suffix: str) -> list[tuple[str, str]]:
    """(path from the repository root, line) for each line matching `pattern`."""
    found = []
    for path in sorted(folder.rglob(f"*{suffix}")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if pattern.search(line):
                found.append((str(path.relative_to(ROOT)), line.strip()))
    return found


def _not_allowed(hits) -> list[tuple[str, str]]:
    return [
        (path, line)
        for path, line in hits
        if not any(path == p and part in line for p, part in ALLOWED)
    ]


def test_no_template_formats_a_date_with_strftime():
    hits = _hits(TEMPLATES, re.compile(r"strftime"), ".html")
    assert hits == [], "use the |datetime filter (prospecting/templating.py)"


def test_no_template_writes_its_own_csrf_input():
    hits = _not_allowed(_hits(TEMPLATES, HAND_CSRF, ".html"))
    assert hits == [], "render {{ form.csrf_token }} or {{ new_form().csrf_token }}"


def test_no_view_reads_the_submitted_form_by_hand():
    hits = _not_allowed(_hits(VIEWS, re.compile(r"request\.form\b"), ".py"))
    assert hits == [], "read the form through a WTForms class (prospecting/forms.py)"


def test_every_allowed_exception_is_still_there():
    # An exception that was converted leaves the list, so the list only shrinks.
    for path, part in ALLOWED:
        text = (ROOT / path).read_text(encoding="utf-8")
        assert part in text, f"{path} no longer needs its exception: remove it"
