"""A people search's stored profiles: pages of them and their CSV export."""

from collections.abc import Iterator

from sqlalchemy import func
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import PeopleSearch
from prospecting.models import PersonProfile
from prospecting.services import exports

SORTS = {
    "name": (PersonProfile.full_name, PersonProfile.id),
    "-name": (PersonProfile.full_name.desc(), PersonProfile.id.desc()),
    "company": (PersonProfile.company_name, PersonProfile.full_name),
    "-company": (PersonProfile.company_name.desc(), PersonProfile.full_name.desc()),
}
EXPORT_COLUMNS = tuple(c.name for c in exports.tables.PROFILE_COLUMNS)


def profiles_page(
    search_id: str, *, page: int, per_page: int, sort: str | None = None
) -> tuple[list[PersonProfile], int]:
    """Page N of a search's profiles (in arrival order, or sorted) and the total."""
    order = SORTS.get(sort or "", (PersonProfile.id,))
    total = db.session.scalar(
        select(func.count()).where(PersonProfile.search_id == search_id)
    )
    rows = db.session.scalars(
        select(PersonProfile)
        .where(PersonProfile.search_id == search_id)
        .order_by(*order)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), total


def export_lines(search: PeopleSearch) -> Iterator[str]:
    """CSV text of a search's profiles (formula-safe)."""
    header, rows = exports.tables.profiles(search.id)
    return exports.stream(header, rows, exports.Options())
