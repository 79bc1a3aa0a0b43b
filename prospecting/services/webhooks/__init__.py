"""Outgoing webhooks: endpoints a workspace registers for events, signed
deliveries sent as jobs on the engine, retried for a day, every attempt logged."""

from prospecting.services.webhooks.endpoints import MAX_ENDPOINTS
from prospecting.services.webhooks.endpoints import add_endpoint
from prospecting.services.webhooks.endpoints import attempts_of
from prospecting.services.webhooks.endpoints import delete_endpoint
from prospecting.services.webhooks.endpoints import deliveries_of
from prospecting.services.webhooks.endpoints import endpoints_of
from prospecting.services.webhooks.endpoints import get_endpoint
from prospecting.services.webhooks.endpoints import resend
from prospecting.services.webhooks.endpoints import secret_of
from prospecting.services.webhooks.events import EVENTS
from prospecting.services.webhooks.events import KIND
from prospecting.services.webhooks.events import emit
from prospecting.services.webhooks.events import sign

__all__ = [
    "EVENTS",
    "KIND",
    "MAX_ENDPOINTS",
    "add_endpoint",
    "attempts_of",
    "delete_endpoint",
    "deliveries_of",
    "emit",
    "endpoints_of",
    "get_endpoint",
    "resend",
    "secret_of",
    "sign",
]
