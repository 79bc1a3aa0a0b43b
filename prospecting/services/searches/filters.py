"""A people search's input: the filter and the number of records to fetch."""

import re

from flask import current_app

from prospecting.services.errors import InvalidInput

DEFAULT_FETCH = 25
MAX_VALUES = 100
MAX_VALUE_CHARS = 200
KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


def normalise_filter(raw) -> dict[str, list[str]]:
    """A filter as {key: [values]}, from arrays, {"0": …} objects or plain text."""
    if not isinstance(raw, dict):
        raise InvalidInput(
            'Send the filter as a JSON object, e.g. {"job_title": ["CTO"]}.',
            code="bad_filter",
        )
    query: dict[str, list[str]] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not KEY_RE.match(key):
            raise InvalidInput(f"{key!r} is not a filter name.", code="bad_filter")
        values = _values(key, value)
        if values:
            query[key] = values
    if not query:
        raise InvalidInput(
            "Give at least one filter value (for example a job title or a country).",
            code="empty_filter",
        )
    return query


def _values(key: str, value) -> list[str]:
    if isinstance(value, dict):
        value = [value[k] for k in sorted(value, key=_index_order)]
    elif not isinstance(value, list):
        value = [value]
    out: list[str] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            if item is None:
                continue
            raise InvalidInput(
                f"Values of {key} must be text.", code="bad_filter", details={key: item}
            )
        text = str(item).strip()
        if len(text) > MAX_VALUE_CHARS:
            raise InvalidInput(
                f"A value of {key} is longer than {MAX_VALUE_CHARS} characters.",
                code="bad_filter",
            )
        if text and text not in out:
            out.append(text)
    if len(out) > MAX_VALUES:
        raise InvalidInput(
            f"{key} has more than {MAX_VALUES} values.", code="bad_filter"
        )
    return out


def _index_order(key) -> tuple:
    text = str(key)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def split_values(text: str | None) -> list[str]:
    """Several values typed in one box, separated by commas, semicolons or lines."""
    return [v.strip() for v in re.split(r"[,;\n]", text or "") if v.strip()]


def parse_fetch_count(value) -> int:
    """The number of records to fetch, 1 to REACHSTREAM_MAX_FETCH (default 25)."""
    top = current_app.config["REACHSTREAM_MAX_FETCH"]
    if value in (None, ""):
        return DEFAULT_FETCH
    try:
        count = int(str(value).strip())
    except ValueError:
        count = 0
    if isinstance(value, bool) or not 1 <= count <= top:
        raise InvalidInput(
            f"The number of records must be a whole number from 1 to {top}.",
            code="bad_fetch_count",
        )
    return count


def describe(query: dict[str, list[str]]) -> str:
    """A short title for a filter: 'People search: CTO, VP Engineering · India'."""
    parts = [
        ", ".join(values[:3]) + ("…" if len(values) > 3 else "")
        for values in query.values()
    ]
    return "People search: " + " · ".join(parts)
