"""The provider contracts: every schema file is valid and names its public source."""

import json

import pytest

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
