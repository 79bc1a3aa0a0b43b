"""Hostile CSV uploads to the page and the API: a clear 4xx or a valid parse, never a
500, and bounded memory."""

import io
import tracemalloc

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tests import factories

PAGE, API = "/enrichment/uploads", "/jobs/upload"
MB = 1024 * 1024


@pytest.fixture
def senders(app, workspace):
    """Post a file to the page (signed in) and to the API (with a token)."""
    page = app.test_client()
    factories.login(page, "owner@acme.test")
    api = app.test_client()
    headers = {"X-API-Key": factories.make_token(workspace.id)}

    def to_page(content: bytes):
        return page.post(PAGE, data={"file": (io.BytesIO(content), "list.csv")})

    def to_api(content: bytes):
        data = {"file": (io.BytesIO(content), "list.csv")}
        return api.post(API, data=data, headers=headers)

    return {"page": to_page, "api": to_api, "page_client": page}


def assert_clear(response, where: str) -> None:
    """A refused upload names its problem; an accepted one moved on."""
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if where == "api":
        if response.status_code == 202:
            assert response.json["job_id"]
        else:
            assert response.status_code in (400, 413, 415, 422)
            assert response.json["error"]["message"]
    else:
        assert response.status_code in (302, 413, 422)
        if response.status_code != 302:
            shown = b'id="upload-error"' in response.data
            assert shown or b'class="errors"' in response.data


def wide_header(columns: int) -> bytes:
    return (",".join(f"c{i}" for i in range(columns)) + "\r\nx\r\n").encode()


HOSTILE = {
    "empty": b"",
    "nul bytes": b"\x00" * 4096,
    "one huge line": b"email," + b"x" * (3 * MB),
    "huge field in quotes": b'email\r\n"' + b"y" * (2 * MB) + b'"\r\n',
    "unclosed quote over many lines": b'name,email\r\n"' + b"a,b\r\n" * 300_000,
    "deeply doubled quotes": b"email\r\n" + b'"' * (512 * 1024) + b"\r\n",
    "quote storm": b'"' + b'"",' * 200_000 + b"\r\n",
    "many columns": wide_header(10_000),
    "million columns": wide_header(1_000_000),
    "latin-1 noise": bytes(range(128, 256)) * 2000,
    "xlsx magic": b"PK\x03\x04" + b"\x00" * 2000,
}


@pytest.mark.parametrize("name", list(HOSTILE))
@pytest.mark.parametrize("where", ["page", "api"])
def test_hostile_upload_is_a_clear_4xx_or_a_valid_parse(senders, where, name):
    assert_clear(senders[where](HOSTILE[name]), where)


@pytest.mark.parametrize("where", ["page", "api"])
def test_million_columns_header_is_refused_in_bounded_memory(senders, where):
    content = wide_header(1_000_000)
    tracemalloc.start()
    try:
        response = senders[where](content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code in (413, 422)
    assert peak < 64 * MB, f"peak {peak / MB:.1f} MB"


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    content=st.one_of(
        st.binary(max_size=4096),
        st.lists(
            st.text(alphabet='",;\t|\r\n\\ a=@é\x00', max_size=60), max_size=40
        ).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass")),
    )
)
def test_random_bytes_never_make_a_500(senders, content):
    for where in ("page", "api"):
        response = senders[where](content)
        assert_clear(response, where)
        if where == "page" and response.status_code == 302:
            preview = senders["page_client"].get(response.headers["Location"])
            assert preview.status_code == 200
