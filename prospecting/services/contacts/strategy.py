"""The update strategy of an import: what a known contact's fields take from it.

One rule for every way into the book: "fill" (the default) fills empty fields
only; "overwrite" replaces a value with the newer one. Either way a field a
person edited by hand (`Contact.locked_fields`) is never written by an import,
and a value is never blanked.
"""

from prospecting.services.errors import InvalidInput

STRATEGIES = {
    "fill": "Fill empty fields",
    "overwrite": "Overwrite with the newer value",
}
DEFAULT = "fill"
# The fields the edit form and the PATCH API lock when they change them.
LOCKABLE = ("name", "email", "phone", "title", "location", "company_id")


def check(value) -> str:
    """The strategy named, or InvalidInput naming the choices."""
    if value is None or value == "":
        return DEFAULT
    if value not in STRATEGIES:
        raise InvalidInput(
            f"update_strategy must be one of {', '.join(STRATEGIES)}.",
            code="bad_update_strategy",
        )
    return value


def takes(current, new, *, field: str, strategy: str, locked=()) -> bool:
    """Whether an import's `new` value replaces the contact's `current` one."""
    if new in (None, "", [], {}) or field in (locked or ()):
        return False
    if current in (None, "", [], {}):
        return True
    return strategy == "overwrite" and new != current


def locks(contact, values: dict) -> list[str]:
    """The contact's locked fields once a person has set `values` by hand."""
    changed = {
        name
        for name in LOCKABLE
        if name in values and (values[name] or None) != (getattr(contact, name) or None)
    }
    return sorted(set(contact.locked_fields or []) | changed)
