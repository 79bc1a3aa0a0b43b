"""The one datetime filter: UTC, one format per name, a <time> element."""

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

from prospecting.templating import format_datetime


def test_datetime_renders_naive_utc_in_a_time_element():
    out = format_datetime(datetime(2026, 3, 4, 5, 6, 7))
    assert out == '<time datetime="2026-03-04T05:06:07Z">2026-03-04 05:06</time>'


def test_datetime_converts_an_aware_timestamp_to_utc():
    paris = timezone(timedelta(hours=1))
    out = format_datetime(datetime(2026, 3, 4, 6, 6, 7, tzinfo=paris), "seconds")
    assert ">2026-03-04 05:06:07<" in out
    assert format_datetime(datetime(2026, 3, 4, 5, 6, tzinfo=UTC)).endswith(
        ">2026-03-04 05:06</time>"
    )


def test_datetime_named_formats_date_and_time():
    stamp = datetime(2026, 3, 4, 5, 6, 7)
    assert ">2026-03-04<" in format_datetime(stamp, "date")
    assert ">05:06:07<" in format_datetime(stamp, "time")
    assert format_datetime(date(2026, 3, 4), "date") == (
        '<time datetime="2026-03-04">2026-03-04</time>'
    )


def test_datetime_of_none_is_the_default_escaped():
    assert format_datetime(None) == ""
    assert format_datetime(None, "minutes", "<never>") == "&lt;never&gt;"


def test_datetime_filter_is_registered_for_templates(app):
    with app.app_context():
        template = app.jinja_env.from_string("{{ when|datetime('date') }}")
        assert template.render(when=datetime(2026, 1, 2)).endswith(">2026-01-02</time>")


def test_new_form_renders_the_csrf_token_and_ignores_the_request(app):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.test_request_context("/", method="POST", data={"cost_cap": "9"}):
        html = app.jinja_env.from_string(
            "{% set f = new_form('ResumeForm', cost_cap='2') %}"
            "{{ f.csrf_token }}{{ f.cost_cap }}"
        ).render()
    assert 'name="csrf_token" type="hidden"' in html
    assert 'value="2"' in html and 'value="9"' not in html


def test_new_form_refuses_a_name_that_is_not_a_form(app):
    template = app.jinja_env.from_string("{{ new_form('current_app') }}")
    with app.test_request_context("/"), pytest.raises(LookupError, match="not a form"):
        template.render()
