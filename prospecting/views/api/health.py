"""Health check: no token needed."""

from flask import jsonify
from sqlalchemy import text

from prospecting.extensions import db
from prospecting.extensions import huey
from prospecting.views.api import bp


@bp.get("/health")
def health():
    """Database and queue reachability; 503 names the failing part."""
    body = {"status": "ok", "database": "ok", "queue": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        body["database"] = "unavailable"
    try:
        huey.pending_count()
    except Exception:
        body["queue"] = "unavailable"
    if "unavailable" in body.values():
        body["status"] = "degraded"
        return jsonify(body), 503
    return jsonify(body)
