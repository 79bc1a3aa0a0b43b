"""Find-or-create of the companies of one batch of an import: the known ones
read in one query (by domain and by name key), the missing ones created once
each, in one statement."""

from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import Company
from prospecting.models.base import utcnow
from prospecting.services.contacts.companies import company_for
from prospecting.services.contacts.normalise import company_name_key
from prospecting.services.contacts.normalise import normalise_domain
from prospecting.services.contacts.write import insert_ignoring


class BatchCompanies:
    """Find-or-create of the companies of one batch: the known ones read in one
    query (by domain and by name key), the missing ones created once each."""

    def __init__(self, workspace_id: int):
        self.workspace_id, self.ids = workspace_id, {}
        self.by_domain: dict[str, tuple[int, str | None]] = {}
        self.by_key: dict[str, tuple[int, str | None]] = {}

    def preload(self, pairs) -> None:
        domains = {d for d in (normalise_domain(d) for _, d in pairs) if d}
        keys = {k for k in (company_name_key(n) for n, _ in pairs) if k}
        if not (domains or keys):
            return
        self._remember(self._lookup(domains, keys))
        self._create_missing(pairs)

    def _lookup(self, domains, keys) -> list:
        """The companies of these domains, then of these name keys (two index
        lookups rather than one OR), oldest first."""
        found = []
        for column, values in ((Company.domain, domains), (Company.name_key, keys)):
            if values:
                found += db.session.execute(
                    select(Company.id, Company.domain, Company.name_key)
                    .where(
                        Company.workspace_id == self.workspace_id, column.in_(values)
                    )
                    .order_by(Company.id)
                ).all()
        return found

    def _known(self, domain, key) -> tuple[int, str | None] | None:
        """The company of this domain, else of this name (unless that one has
        another domain), as company_for finds it."""
        if domain and domain in self.by_domain:
            return self.by_domain[domain]
        found = self.by_key.get(key) if key else None
        if found is not None and not (domain and found[1] and found[1] != domain):
            return found
        return None

    def _remember(self, rows) -> None:
        for company_id, domain, key in rows:
            if domain:
                self.by_domain.setdefault(domain, (company_id, domain))
            if key:
                self.by_key.setdefault(key, (company_id, domain))

    def _create_missing(self, pairs) -> None:
        """The batch's new companies in one statement (a concurrent writer's
        company of the same domain wins; the lookup below reads it)."""
        new, now = {}, utcnow()
        for name, domain in pairs:
            domain = normalise_domain(domain)
            key = company_name_key(name)
            if self._known(domain, key) or not (domain or key):
                continue
            new.setdefault(
                domain or key,
                {
                    "workspace_id": self.workspace_id,
                    "name": ((name or "").strip() or domain)[:255],
                    "name_key": key,
                    "domain": domain,
                    "registration_number": None,
                    "sync_failed": False,
                    "created_at": now,
                    "updated_at": now,
                },
            )
        if not new:
            return
        # In key order, so that batches creating the same companies at once take
        # the unique index's locks in one order (no deadlock between them).
        db.session.execute(
            insert_ignoring(Company.__table__), [new[k] for k in sorted(new)]
        )
        domains = [r["domain"] for r in new.values() if r["domain"]]
        keys = [r["name_key"] for r in new.values() if r["name_key"]]
        self._remember(self._lookup(domains, keys))
        db.session.commit()

    def __call__(self, name: str | None, domain: str | None = None) -> int | None:
        name = (name or "").strip() or None
        if not (name or domain):
            return None
        key = (domain or "", (name or "").lower())
        if key in self.ids:
            return self.ids[key]
        found = self._known(normalise_domain(domain), company_name_key(name))
        if found is None:
            company = company_for(self.workspace_id, domain=domain, name=name)
            self.ids[key] = company.id if company else None
        else:
            self.ids[key] = found[0]
        return self.ids[key]
