"""JSON email finder: one person's address from a name and a company, found
synchronously under the cost caps (the lookup is a job of its own)."""

from flask import jsonify
from flask import request

from prospecting.auth import token_required
from prospecting.auth import workspace_id
from prospecting.errors import error_response
from prospecting.providers.errors import ProviderAuthError
from prospecting.providers.errors import ProviderCostCapReached
from prospecting.providers.errors import ProviderError
from prospecting.providers.errors import ProviderRateLimited
from prospecting.services import finder
from prospecting.services.errors import InvalidInput
from prospecting.views.api import bp

FIELDS = ("first_name", "last_name", "full_name", "domain", "company")


@bp.post("/api/v1/email-finder")
@token_required
def email_finder():
    """Find a person's email at a domain (or a company resolved to its domain)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("Send a JSON object.", code="invalid_body")
    person = {}
    for name in FIELDS:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{name} must be a string.", code=f"bad_{name}")
        if value and len(value) > 255:
            raise InvalidInput(f"{name} is too long.", code=f"bad_{name}")
        person[name] = (value or "").strip() or None
    try:
        result = finder.lookup(workspace_id(), None, **person)
    except ProviderCostCapReached as exc:
        return error_response(402, exc.message, code="cost_cap_reached")
    except ProviderRateLimited as exc:
        body, status = error_response(429, exc.message, code="rate_limited")
        return body, status, {"Retry-After": str(max(1, int(exc.retry_after)))}
    except ProviderAuthError as exc:
        return error_response(502, exc.message, code="invalid_credentials")
    except ProviderError as exc:
        return error_response(502, exc.message, code="provider_error")
    return jsonify(result.to_dict())
