"""Offline fake providers: the real HTTP contracts, deterministic data, faults."""

from flask import Blueprint

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")

from prospecting.sandbox import admin  # noqa: E402,F401
from prospecting.sandbox import airtable  # noqa: E402,F401
from prospecting.sandbox import apollo  # noqa: E402,F401
from prospecting.sandbox import attestr  # noqa: E402,F401
from prospecting.sandbox import chat  # noqa: E402,F401
from prospecting.sandbox import hunter  # noqa: E402,F401
from prospecting.sandbox import pdl  # noqa: E402,F401
from prospecting.sandbox import reacher  # noqa: E402,F401
from prospecting.sandbox import reachstream  # noqa: E402,F401
from prospecting.sandbox import unipile  # noqa: E402,F401
