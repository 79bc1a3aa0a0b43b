"""Tags on contacts and companies: free words a team files people under."""

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import CompanyTag
from prospecting.models import ContactTag
from prospecting.services.contacts import get_company
from prospecting.services.contacts import get_contact
from prospecting.services.errors import InvalidInput
from prospecting.services.lists.members import chunks

MAX_TAG = 60
MAX_TAGS = 50


def clean_tag(tag, field: str = "tag") -> str:
    """A tag as stored: trimmed, inner spaces collapsed; InvalidInput when blank,
    not text or too long."""
    if not isinstance(tag, str) or not " ".join(tag.split()):
        raise InvalidInput(
            f"{field}: a tag is a word or a few.",
            code=f"bad_{field}",
            details={"field": field},
        )
    tag = " ".join(tag.split())
    if len(tag) > MAX_TAG:
        raise InvalidInput(
            f"{field}: a tag is at most {MAX_TAG} characters.",
            code=f"bad_{field}",
            details={"field": field},
        )
    return tag


def clean_tags(values, field: str = "tags") -> list[str]:
    """A JSON list of tags, cleaned and de-duplicated."""
    if not isinstance(values, list) or len(values) > MAX_TAGS:
        raise InvalidInput(
            f"{field} must be a list of at most {MAX_TAGS} tags.",
            code=f"bad_{field}",
            details={"field": field},
        )
    return list(dict.fromkeys(clean_tag(v, field) for v in values))


def tag_contacts(
    workspace_id: int, contact_ids: list[int], tag: str, *, commit: bool = True
) -> int:
    """Tag the contacts (ids of the workspace); how many got the tag."""
    tag = clean_tag(tag)
    added = 0
    for part in chunks(contact_ids):
        there = set(
            db.session.scalars(
                select(ContactTag.contact_id).where(
                    ContactTag.tag == tag, ContactTag.contact_id.in_(part)
                )
            )
        )
        new = [i for i in part if i not in there]
        db.session.add_all(
            ContactTag(contact_id=i, tag=tag, workspace_id=workspace_id) for i in new
        )
        added += len(new)
    if commit:
        db.session.commit()
    return added


def untag_contacts(workspace_id: int, contact_ids: list[int], tag: str) -> int:
    """Take the tag off the contacts; how many had it."""
    tag = clean_tag(tag)
    removed = 0
    for part in chunks(contact_ids):
        removed += db.session.execute(
            delete(ContactTag).where(
                ContactTag.workspace_id == workspace_id,
                ContactTag.tag == tag,
                ContactTag.contact_id.in_(part),
            )
        ).rowcount
    db.session.commit()
    return removed


def contact_tags(contact_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(ContactTag.tag)
            .where(ContactTag.contact_id == contact_id)
            .order_by(ContactTag.tag)
        )
    )


def set_contact_tags(
    workspace_id: int, contact_id: int, tags: list[str], *, commit: bool = True
) -> list[str]:
    """Make the contact's tags exactly these."""
    get_contact(workspace_id, contact_id)
    db.session.execute(delete(ContactTag).where(ContactTag.contact_id == contact_id))
    db.session.add_all(
        ContactTag(contact_id=contact_id, tag=t, workspace_id=workspace_id)
        for t in tags
    )
    if commit:
        db.session.commit()
    return sorted(tags)


def tags_in_use(workspace_id: int) -> list[tuple[str, int]]:
    """The workspace's contact tags with how many people carry each."""
    return [
        (tag, n)
        for tag, n in db.session.execute(
            select(ContactTag.tag, func.count())
            .where(ContactTag.workspace_id == workspace_id)
            .group_by(ContactTag.tag)
            .order_by(ContactTag.tag)
        )
    ]


def company_tags(company_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(CompanyTag.tag)
            .where(CompanyTag.company_id == company_id)
            .order_by(CompanyTag.tag)
        )
    )


def set_company_tags(workspace_id: int, company_id: int, tags: list[str]) -> list[str]:
    """Make the company's tags exactly these (committed)."""
    get_company(workspace_id, company_id)
    db.session.execute(delete(CompanyTag).where(CompanyTag.company_id == company_id))
    db.session.add_all(
        CompanyTag(company_id=company_id, tag=t, workspace_id=workspace_id)
        for t in tags
    )
    db.session.commit()
    return sorted(tags)


def parse_tag_text(text: str, field: str = "tags") -> list[str]:
    """Tags typed in a form, separated by commas."""
    return clean_tags([t for t in (text or "").split(",") if t.strip()], field)
