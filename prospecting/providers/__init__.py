"""HTTP clients for the data providers, one module per provider."""

import functools
from dataclasses import fields


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))


def answer_dict(answer) -> dict:
    """A provider's answer (a dataclass of scalars and lists of scalars) as a
    dict: what dataclasses.asdict gives, lists copied, without its recursive deep
    copy (which cost a cached row more than its lookup)."""
    values = {}
    for name in _field_names(type(answer)):
        value = getattr(answer, name)
        values[name] = list(value) if isinstance(value, list) else value
    return values
