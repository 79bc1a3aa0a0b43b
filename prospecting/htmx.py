"""Small helpers for htmx requests (works with htmx 2 and 4)."""

from flask import request


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def is_partial() -> bool:
    """True for an htmx request that swaps part of a page (not a boosted full page)."""
    if not is_htmx():
        return False
    if request.headers.get("HX-Boosted") == "true":
        return False
    return request.headers.get("HX-Request-Type", "partial") != "full"


def vary_on_htmx(response):
    response.vary.add("HX-Request")
    response.vary.add("HX-Request-Type")
    return response
