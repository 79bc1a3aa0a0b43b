"""The rows of one chunk of an import grouped into people: rows that share an
email, a phone or a LinkedIn profile are one person, merged in row order (what
a later row adds fills what an earlier one left empty, or replaces it under the
"overwrite" strategy)."""

from dataclasses import dataclass
from dataclasses import field

from prospecting.services.contacts import gate
from prospecting.services.contacts import strategy as strategies
from prospecting.services.contacts.book import ContactInput
from prospecting.services.contacts.book import UpsertItem

FILLABLE = ("name", "title", "location", "linkedin_url", "company_id")


@dataclass
class Person:
    """The rows of one chunk that are the same person, merged in row order."""

    data: ContactInput
    emails: list[gate.Email]
    phones: list[str]
    linkedin_key: str | None
    items: list[UpsertItem] = field(default_factory=list)
    companies: dict = field(default_factory=dict)  # company id -> role
    sources: set = field(default_factory=set)
    values: dict = field(default_factory=dict)
    contact_id: int | None = None


def person_keys(emails, phones, linkedin) -> list[tuple[str, str]]:
    keys = [("email", e.address) for e in emails] + [("phone", p) for p in phones]
    return keys + ([("linkedin", linkedin)] if linkedin else [])


def group(people: list[Person], index: dict, data, judged, item, strategy) -> None:
    """Merge the row into the chunk's person it shares a key with (`index`: key ->
    person), or add one."""
    keys = person_keys(
        judged.emails, [judged.phone] if judged.phone else [], judged.linkedin_key
    )
    person = next((index[k] for k in keys if k in index), None)
    if person is not None:
        item.matched_on = next(k for k in keys if k in index)[0]
        changed = _merge_row(person, data, judged, strategy)
        item.status = "updated" if changed else "skipped"
        if not changed:
            item.reason = "Already in the contact book; nothing new."
        person.items.append(item)
    else:
        person = Person(
            data=data,
            emails=list(judged.emails),
            phones=[judged.phone] if judged.phone else [],
            linkedin_key=judged.linkedin_key,
            items=[item],
        )
        person.values = {f: clean(getattr(data, f)) for f in FILLABLE}
        person.values["addresses"] = list(data.addresses or [])
        person.values["provider_ids"] = {
            k: v for k, v in (data.provider_ids or {}).items() if v
        }
        person.values["extra"] = {k: v for k, v in (data.extra or {}).items() if v}
        if data.company_id:
            person.companies[data.company_id] = clean(data.role or data.title)
        person.sources.add((data.source, data.source_ref or ""))
        people.append(person)
    for key in person_keys(person.emails, person.phones, person.linkedin_key):
        index.setdefault(key, person)


def _merge_row(person: Person, data, judged, strategy: str) -> bool:
    changed = False
    known = {e.address for e in person.emails}
    for email in judged.emails:
        if email.address not in known:
            person.emails.append(email)
            changed = True
    if judged.phone and judged.phone not in person.phones:
        person.phones.append(judged.phone)
        changed = True
    if judged.linkedin_key and not person.linkedin_key:
        person.linkedin_key, changed = judged.linkedin_key, True
    for name in FILLABLE:
        value = clean(getattr(data, name))
        if strategies.takes(
            person.values.get(name), value, field=name, strategy=strategy
        ):
            person.values[name], changed = value, True
    if strategies.takes(
        person.values["addresses"],
        list(data.addresses or []),
        field="addresses",
        strategy=strategy,
    ):
        person.values["addresses"], changed = list(data.addresses), True
    for key, value in (data.provider_ids or {}).items():
        if value and not person.values["provider_ids"].get(key):
            person.values["provider_ids"][key], changed = value, True
    for key, value in (data.extra or {}).items():
        if value and not person.values["extra"].get(key):
            person.values["extra"][key], changed = value, True
    if data.company_id and data.company_id not in person.companies:
        person.companies[data.company_id] = clean(data.role or data.title)
        changed = True
    person.sources.add((data.source, data.source_ref or ""))
    return changed


def clean(value):
    if isinstance(value, str):
        value = value.strip()
        return value[:255] if value else None
    return value
