"""One page of results: the one type every HTML pager (and the API's pagination
object) is built from.

Build it from a select (`Page.of_select`), a flask-sqlalchemy pagination
(`Page.from_pagination`) or rows and a count a service already computed
(`Page(items, page, per_page, total)`); render it with the `pager` macro in
templates/macros/links.html as `pager(page, endpoint, args)`."""

from dataclasses import dataclass
from typing import Any

from prospecting.extensions import db


@dataclass(frozen=True)
class Page:
    """`items` of page `page` (1-based) of `total` results, `per_page` a page.

    `more` says the count stopped short (a capped count, "10,000+"): there may be
    pages past `pages`, and a full page always has a next one."""

    items: list[Any]
    page: int
    per_page: int
    total: int
    more: bool = False

    @classmethod
    def of_select(cls, stmt, page: int, per_page: int) -> "Page":
        """Run a select of one entity for one page and count its rows."""
        return cls.from_pagination(
            db.paginate(stmt, page=page, per_page=per_page, error_out=False)
        )

    @classmethod
    def from_pagination(cls, pagination) -> "Page":
        """Adopt a flask-sqlalchemy Pagination."""
        return cls(
            list(pagination.items),
            pagination.page,
            pagination.per_page,
            pagination.total or 0,
        )

    @property
    def pages(self) -> int:
        """How many pages there are; an empty result still has one (empty) page."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or (self.more and bool(self.items))

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def __iter__(self):
        return iter(self.items)

    def pagination(self) -> dict:
        """The API's `pagination` object (total_pages is 0 when nothing matched)."""
        total_pages = -(-self.total // self.per_page) if self.total else 0
        return {
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
            "total_pages": total_pages,
            "has_more": self.page < total_pages,
        }
