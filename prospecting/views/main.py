"""The home page: recent jobs."""

from flask import Blueprint
from flask import g
from flask import render_template

from prospecting.services import jobs

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """Recent jobs of the workspace."""
    return render_template("main/index.html", jobs=jobs.recent(g.workspace.id))
