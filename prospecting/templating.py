"""Jinja filters shared by every template: one way to show a timestamp."""

from datetime import UTC
from datetime import date
from datetime import datetime

from flask import Flask
from markupsafe import Markup
from markupsafe import escape

# The named formats of |datetime; timestamps are naive UTC (models/base.utcnow).
FORMATS = {
    "minutes": "%Y-%m-%d %H:%M",
    "seconds": "%Y-%m-%d %H:%M:%S",
    "date": "%Y-%m-%d",
    "time": "%H:%M:%S",
}


def as_utc(value: datetime) -> datetime:
    """A naive timestamp read as UTC; an aware one converted to UTC (then naive)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def format_datetime(value, fmt: str = "minutes", default: str = "") -> Markup:
    """`<time datetime="…Z">2026-01-02 10:30</time>` in UTC, or `default` for None.

    `fmt` is one of FORMATS (minutes, seconds, date, time)."""
    if value is None or value == "":
        return Markup(escape(default))
    if isinstance(value, datetime):
        value = as_utc(value)
        machine = value.isoformat(timespec="seconds") + "Z"
    elif isinstance(value, date):
        machine = value.isoformat()
    else:
        return Markup(escape(value))
    text = value.strftime(FORMATS[fmt])
    return Markup(f'<time datetime="{machine}">{text}</time>')


def init_app(app: Flask) -> None:
    from prospecting.forms import new_form

    app.add_template_global(new_form)
    app.add_template_filter(format_datetime, "datetime")
