"""Provider contracts transcribed from the providers' published documentation.

Each provider has a folder of JSON Schemas (draft 2020-12), one per request we
send or answer we read, named `<endpoint>.request.json` / `<endpoint>.response.json`;
every file names its public source in `x-source` (an address) and says in
`description` what it covers. The sandbox validates what it receives against the
request schemas and answers with the provider's own error for a body the real
provider would refuse; the contract tests validate our clients' real requests
(and the sandbox's answers) against the same files, so a shared mistake between
client and sandbox fails against the published contract.
"""

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path

from jsonschema import Draft202012Validator

FOLDER = Path(__file__).resolve().parent


@functools.cache
def validator(provider: str, name: str) -> Draft202012Validator:
    """The validator of `<provider>/<name>.json` (loaded once)."""
    schema = json.loads((FOLDER / provider / f"{name}.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def problems(
    provider: str, name: str, value, *, variant: str | None = None
) -> list[str]:
    """What in `value` the contract refuses, as 'path: message' lines (empty: ok).

    `variant` names one branch of a top-level `anyOf` by its `title` (Unipile's
    "Sales Navigator - People"): the value is checked against that branch alone,
    so the lines say what that branch refuses instead of "not valid under any"."""
    if variant is None:
        plain = plain_check(provider, name)
        if plain is not None and plain(value):
            return []
    check = validator(provider, name)
    if variant is not None:
        check = _variant(provider, name, variant)
    errors = sorted(check.iter_errors(value), key=lambda e: list(e.path))
    return [f"{_path(e.absolute_path)}: {e.message}" for e in errors]


@functools.cache
def _variant(provider: str, name: str, title: str) -> Draft202012Validator:
    branches = validator(provider, name).schema.get("anyOf", [])
    for branch in branches:
        if branch.get("title") == title:
            return Draft202012Validator(branch)
    raise KeyError(f"{provider}/{name} has no variant titled {title!r}")


# The keywords a plain check understands; a schema using any other keyword (or
# another type) is always validated by jsonschema.
_ANNOTATIONS = {"$schema", "x-source", "description", "title", "$comment"}
_KEYWORDS = {"type", "required", "properties", "additionalProperties"}
_KEYWORDS |= {"minLength", "maxLength", "pattern"} | _ANNOTATIONS
_TYPES: dict[str, Callable[[object], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}


@functools.cache
def plain_check(provider: str, name: str) -> Callable[[object], bool] | None:
    """A plain-Python check of the contract (a few us where jsonschema takes
    ~13), or None when the schema uses a keyword it does not understand.

    It only ever says "valid" for a value jsonschema finds valid: False means
    "ask jsonschema", which also words the problems (tests/test_contracts.py
    compares the two on generated values)."""
    return _compile(validator(provider, name).schema)


def _compile(schema) -> Callable[[object], bool] | None:
    if not isinstance(schema, dict) or not set(schema) <= _KEYWORDS:
        return None
    checks: list[Callable[[object], bool]] = []
    kind = schema.get("type")
    if kind is not None:
        if not isinstance(kind, str) or kind not in _TYPES:
            return None
        checks.append(_TYPES[kind])
    strings = _string_checks(schema)
    if strings is None:
        return None
    checks += strings
    objects = _object_checks(schema)
    if objects is None:
        return None
    checks += objects
    return lambda value: all(check(value) for check in checks)


def _string_checks(schema) -> list[Callable[[object], bool]] | None:
    """minLength, maxLength and pattern, which apply to strings only."""
    checks = []
    low, high = schema.get("minLength"), schema.get("maxLength")
    for bound in (low, high):
        if bound is not None and (type(bound) is not int or bound < 0):
            return None
    if low is not None:
        checks.append(lambda v: not isinstance(v, str) or len(v) >= low)
    if high is not None:
        checks.append(lambda v: not isinstance(v, str) or len(v) <= high)
    if "pattern" in schema:
        if not isinstance(schema["pattern"], str):
            return None
        search = re.compile(schema["pattern"]).search
        checks.append(lambda v: not isinstance(v, str) or search(v) is not None)
    return checks


def _object_checks(schema) -> list[Callable[[object], bool]] | None:
    """required, properties and additionalProperties: false, on objects only."""
    required = schema.get("required", [])
    properties = schema.get("properties", {})
    closed = schema.get("additionalProperties", True)
    if not isinstance(required, list) or not isinstance(properties, dict):
        return None
    if closed not in (True, False) or not all(isinstance(k, str) for k in required):
        return None
    compiled = {}
    for key, sub in properties.items():
        compiled[key] = _compile(sub)
        if compiled[key] is None:
            return None

    def check(value) -> bool:
        if not isinstance(value, dict):
            return True
        if any(key not in value for key in required):
            return False
        for key, item in value.items():
            sub = compiled.get(key)
            if sub is None:
                if closed is False:
                    return False
            elif not sub(item):
                return False
        return True

    return [check]


def source(provider: str, name: str) -> str:
    """The public address the schema was transcribed from."""
    return validator(provider, name).schema["x-source"]


def _path(parts) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
