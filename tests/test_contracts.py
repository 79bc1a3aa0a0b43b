"""The provider contracts: every schema file is valid and names its public source."""

import json
import string

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from prospecting.sandbox import contracts

FILES = sorted(contracts.FOLDER.glob("*/*.json"))


@pytest.mark.parametrize(
    "path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES]
)
def test_every_contract_is_a_valid_schema_with_its_public_source(path):
    schema = json.loads(path.read_text())
    validator = contracts.validator(path.parent.name, path.stem)
    assert validator.schema is not None
    assert schema["x-source"].startswith("https://"), path
    assert schema.get("description"), path


def test_problems_name_the_path_of_what_the_contract_refuses(tmp_path, monkeypatch):
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "thing.request.json").write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "x-source": "https://example.com/docs",
                "description": "A demo contract.",
                "type": "object",
                "properties": {
                    "location": {"type": "array", "items": {"type": "string"}}
                },
                "additionalProperties": False,
            }
        )
    )
    monkeypatch.setattr(contracts, "FOLDER", tmp_path)
    contracts.validator.cache_clear()
    contracts.plain_check.cache_clear()
    try:
        assert contracts.problems("demo", "thing.request", {"location": ["1"]}) == []
        assert contracts.problems(
            "demo", "thing.request", {"location": [1], "x": 1}
        ) == [
            "$: Additional properties are not allowed ('x' was unexpected)",
            "$.location[0]: 1 is not of type 'string'",
        ]
        assert contracts.source("demo", "thing.request") == "https://example.com/docs"
    finally:
        contracts.validator.cache_clear()
        contracts.plain_check.cache_clear()


PLAIN = [
    (p.parent.name, p.stem)
    for p in FILES
    if contracts.plain_check(p.parent.name, p.stem) is not None
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(string.printable, max_size=12),
    st.sampled_from(["a@b.co", "x", "@", "www.acme.com", "acme.com", "a b.c", ""]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(string.ascii_letters, max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


LEAVES = {
    "boolean": st.booleans(),
    "integer": st.integers(-(2**31), 2**31),
    "number": st.integers(-100, 100) | st.floats(allow_nan=False),
}


def _shaped(schema, depth=0):
    """Values near the schema: mostly of the right kind (strings from its
    pattern), its own keys with some left out and some added, and now and then
    a value of the wrong kind anywhere (nested objects alike)."""
    kind = schema.get("type")
    if kind == "string":
        pattern = schema.get("pattern")
        right = st.from_regex(pattern) if pattern else st.text(max_size=12)
        return right | SCALARS
    if kind in LEAVES:
        return LEAVES[kind] | SCALARS
    properties = schema.get("properties") or {}
    if not properties or depth > 2:
        return JSON
    values = {k: _shaped(sub, depth + 1) for k, sub in properties.items()}
    return (
        st.builds(
            lambda always, chosen, extra: {**always, **chosen, **extra},
            st.fixed_dictionaries({k: values[k] for k in schema.get("required", [])}),
            st.fixed_dictionaries({}, optional=values),
            st.dictionaries(st.sampled_from(["extra", "api_key"]), JSON, max_size=1),
        )
        | JSON
    )


@pytest.mark.parametrize("provider,name", PLAIN, ids=[f"{p}/{n}" for p, n in PLAIN])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_plain_check_only_passes_what_jsonschema_passes(provider, name, data):
    """The plain check (the sandbox's fast path) never accepts a value the
    contract refuses; what it does not accept jsonschema decides."""
    check = contracts.validator(provider, name)
    value = data.draw(_shaped(check.schema))
    if contracts.plain_check(provider, name)(value):
        assert check.is_valid(value), value
        assert contracts.problems(provider, name, value) == []


def test_the_hot_contracts_have_a_plain_check_that_passes_their_calls():
    """The sandbox's Reacher and Apollo calls take the fast path; a refused call
    still gets jsonschema's words."""
    reacher = contracts.plain_check("reacher", "check_email.request")
    apollo = contracts.plain_check("apollo", "organizations_enrich.request")
    assert reacher({"to_email": "ada@example.com"})
    assert reacher({"to_email": "ada@example.com", "proxy": {"host": "h", "port": 1}})
    assert not reacher({"to_email": "ada@example.com", "proxy": {"host": "h"}})
    assert not reacher({"to_email": "ada@example.com", "smtp_port": True})
    assert not reacher({"to_email": "x"})
    assert apollo({"domain": "acme.com"})
    assert not apollo({"domain": "www.acme.com"})
    assert not apollo({"domain": "acme.com", "api_key": "k"})
    assert contracts.problems("apollo", "organizations_enrich.request", {}) == [
        "$: 'domain' is a required property"
    ]


def test_a_schema_with_other_keywords_has_no_plain_check():
    compile_ = contracts._compile
    assert compile_({"type": "object", "properties": {"a": {"enum": [1]}}}) is None
    assert compile_({"type": ["string", "null"]}) is None
    assert (
        compile_({"type": "object", "additionalProperties": {"type": "string"}}) is None
    )
    assert compile_({"type": "string", "format": "email"}) is None
    assert compile_({"type": "object", "properties": {"a": True}}) is None
