"""The home page: where the workspace stands."""

from flask import Blueprint
from flask import current_app
from flask import g
from flask import render_template

from prospecting import labels
from prospecting.services import overview

bp = Blueprint("main", __name__)
bp.add_app_template_filter(labels.field_label)


@bp.get("/")
def index():
    """Credits against the caps, running jobs, outcomes, contacts, next steps."""
    return render_template(
        "main/index.html",
        view=overview.overview(g.workspace.id),
        poll=current_app.config["PROGRESS_POLL_SECONDS"],
    )
