"""Text the database cannot store, refused where requests are read: a NUL character
(PostgreSQL text and jsonb cannot hold one) or an unpaired surrogate (not UTF-8) in
a JSON body, a form field or a query parameter is a 422 naming where it is."""

from flask import request

from prospecting.services.errors import InvalidInput


def text_problem(text: str) -> str | None:
    """What makes a string unstorable, or None."""
    if "\x00" in text:
        return "a NUL character (\\u0000)"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "an unpaired surrogate (not valid Unicode text)"
    return None


def json_problem(value) -> tuple[str, str] | None:
    """The JSON path and problem of the first unstorable string (key or value)."""
    # Each entry keeps its parent's trail; a path is only written out when found.
    stack: list[tuple[object, tuple | None]] = [(value, None)]
    while stack:
        item, trail = stack.pop()
        if isinstance(item, str):
            if problem := text_problem(item):
                return _path(trail), problem
        elif isinstance(item, dict):
            for key in item:
                if problem := text_problem(key):
                    return f"{_path(trail)} (a key)", problem
            stack.extend((item[k], (trail, k)) for k in reversed(list(item)))
        elif isinstance(item, list):
            stack.extend((item[i], (trail, i)) for i in reversed(range(len(item))))
    return None


def _path(trail: tuple | None) -> str:
    parts = []
    while trail is not None:
        trail, step = trail
        parts.append(f"[{step}]" if isinstance(step, int) else f".{step}")
    return "$" + "".join(reversed(parts))


def check_json(value):
    """The value itself, or InvalidInput naming the JSON path of unstorable text."""
    found = json_problem(value)
    if found is not None:
        path, problem = found
        raise InvalidInput(
            f"{path} contains {problem}, which cannot be stored; remove it and "
            "send the request again.",
            code="invalid_text",
            details={"path": path},
        )
    return value


def check_fields() -> None:
    """Refuse unstorable text in the query string and the form fields of pages.

    The JSON API reads no text from either (ids and numbers, validated where
    read, each in its own error envelope); its bodies are checked when parsed.
    """
    if request.blueprint in ("api", "sandbox"):
        return
    for where, values in (
        ("query parameter", request.args),
        ("form field", request.form),
    ):
        for name, value in values.items(multi=True):
            problem = text_problem(name) or text_problem(value)
            if problem:
                shown = (
                    name.replace("\x00", "\\u0000")
                    .encode("utf-8", "backslashreplace")
                    .decode()
                )
                raise InvalidInput(
                    f"The {where} '{shown}' contains {problem}, which cannot be "
                    "stored; remove it and send again.",
                    code="invalid_text",
                    details={"field": shown},
                )


def init_app(app) -> None:
    """JSON bodies are checked where they are parsed (security.parse_json); form
    fields and query parameters before every page view."""
    app.before_request(check_fields)
