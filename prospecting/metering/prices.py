"""Prices: what one provider call costs (only answered calls, 2xx, are charged)."""

from decimal import ROUND_HALF_UP
from decimal import Decimal
from decimal import InvalidOperation

from flask import current_app

ZERO = Decimal("0")


# Prices


def price(provider: str, endpoint: str) -> Decimal:
    """The configured price of one call, in credits (0 when not priced)."""
    prices = current_app.config["PROVIDER_PRICES"].get(provider) or {}
    return decimal(prices.get(endpoint, 0))


def charge(provider: str, endpoint: str, status: int | None) -> Decimal:
    """What an answered call costs: only 2xx answers are charged."""
    if status is None or not 200 <= status < 300:
        return ZERO
    return price(provider, endpoint)


def decimal(value) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except InvalidOperation:
        return ZERO


def unit() -> str:
    return current_app.config["COST_UNIT"]


def fmt(amount) -> str:
    """An amount for people: up to 4 decimals, trailing zeros dropped."""
    value = decimal(amount).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    text = f"{value:f}".rstrip("0").rstrip(".")
    return f"{text or '0'} {unit()}"


# The job a call belongs to, and the books of the batch that makes it
