"""`flask db upgrade` from empty works on PostgreSQL and matches the models."""

from tests.test_migrations import schema_diff


def test_upgrade_from_empty_postgresql_matches_the_models(pg_url, app):
    # pg_url is created empty and upgraded by `flask db upgrade` in the fixture.
    assert schema_diff(pg_url) == []
