"""Proxy health: how the configured provider proxies are faring, for every process."""

from flask import current_app
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import ProxyHealth
from prospecting.models.base import utcnow
from prospecting.providers import proxies


def proxy_health() -> list[dict]:
    """Each configured proxy with requests, failures and cooldown (all processes)."""
    urls = current_app.config.get("PROVIDER_PROXIES") or []
    rows = {row.proxy: row for row in db.session.scalars(select(ProxyHealth))}
    now = utcnow()
    items = []
    for url in urls:
        label = proxies.mask(url)
        row = rows.get(label)
        cooling = (
            row is not None
            and row.cooling_until is not None
            and row.cooling_until > now
        )
        items.append(
            {
                "proxy": label,
                "requests": row.requests if row else 0,
                "failures": row.failures if row else 0,
                "cooling_for": int((row.cooling_until - now).total_seconds())
                if cooling
                else 0,
                "last_error": row.last_error if row else None,
                "last_used_at": row.last_used_at if row else None,
            }
        )
    return items
