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


def source(provider: str, name: str) -> str:
    """The public address the schema was transcribed from."""
    return validator(provider, name).schema["x-source"]


def _path(parts) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
