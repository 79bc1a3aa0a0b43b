"""Creator outreach pages: creators, samples, tasks, rules, schedules, messages."""

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import IntegerField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from prospecting.extensions import db
from prospecting.models.outreach import MESSAGE_STATUSES
from prospecting.models.outreach import SCHEDULE_STATUSES
from prospecting.services import outreach
from prospecting.services.errors import InvalidInput

bp = Blueprint("outreach", __name__, url_prefix="/outreach")


class RuleForm(FlaskForm):
    sample_status = StringField(
        "Sample status", validators=[DataRequired(), Length(max=40)]
    )
    template = TextAreaField("Message", validators=[DataRequired(), Length(max=10000)])
    reminder_template = TextAreaField(
        "Reminder message", validators=[Optional(), Length(max=10000)]
    )
    reminder_every_hours = IntegerField(
        "Remind every (hours)", default=0, validators=[Optional(), NumberRange(0, 720)]
    )
    reminder_max = IntegerField(
        "Reminders at most", default=0, validators=[Optional(), NumberRange(0, 50)]
    )
    active = BooleanField("Active", default=True)


def _page(stmt):
    per_page = current_app.config["RESULTS_PER_PAGE"]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def _choice(value: str | None, allowed) -> str | None:
    return value if value in allowed else None


@bp.get("/")
def index():
    """Creators with a live search."""
    q = request.args.get("q", "").strip()
    return render_template(
        "outreach/creators.html",
        q=q,
        page=_page(outreach.search_creators(g.workspace.id, q)),
        counts=outreach.counts(g.workspace.id),
    )


@bp.get("/creators/table")
def creators_table():
    """The creators table partial for the live search."""
    q = request.args.get("q", "").strip()
    return render_template(
        "outreach/_creators_table.html",
        q=q,
        page=_page(outreach.search_creators(g.workspace.id, q)),
    )


@bp.get("/creators/<int:creator_id>")
def creator(creator_id: int):
    """A creator with their samples, contents and messages."""
    found = outreach.get_creator(g.workspace.id, creator_id)
    messages = db.session.scalars(
        outreach.messages_query(g.workspace.id, creator_id=found.id).limit(100)
    ).all()
    return render_template(
        "outreach/creator.html",
        creator=found,
        samples=outreach.creator_samples(found),
        messages=messages,
    )


@bp.get("/samples")
def samples():
    """Samples grouped by product, filtered by status, campaign and region."""
    status = request.args.get("status") or None
    campaign = request.args.get("campaign") or None
    region = request.args.get("region") or None
    stmt = outreach.samples_query(
        g.workspace.id, status=status, campaign=campaign, region=region
    )
    return render_template(
        "outreach/samples.html",
        page=_page(stmt),
        facets=outreach.sample_facets(g.workspace.id),
        status=status,
        campaign=campaign,
        region=region,
    )


@bp.get("/tasks")
def task_list():
    """Outreach tasks posted by crawlers."""
    return render_template(
        "outreach/tasks.html", page=_page(outreach.tasks_query(g.workspace.id))
    )


@bp.get("/tasks/<int:task_id>")
def task(task_id: int):
    """One outreach task with every field the crawler sent."""
    return render_template(
        "outreach/task.html", task=outreach.get_task(g.workspace.id, task_id)
    )


@bp.get("/rules")
def rules():
    """The workspace's status rules and a form to add or replace one."""
    return _rules_page(RuleForm())


def _rules_page(form, status=200):
    return render_template(
        "outreach/rules.html", form=form, rules=outreach.rules(g.workspace.id)
    ), status


@bp.post("/rules")
def save_rule():
    """Create or replace the rule of a sample status."""
    form = RuleForm()
    if not form.validate_on_submit():
        return _rules_page(form, 422)
    try:
        outreach.save_rule(
            g.workspace.id,
            sample_status=form.sample_status.data,
            template=form.template.data,
            reminder_template=form.reminder_template.data,
            reminder_every_hours=form.reminder_every_hours.data or 0,
            reminder_max=form.reminder_max.data or 0,
            active=form.active.data,
        )
    except InvalidInput as exc:
        form.sample_status.errors = [exc.message]
        return _rules_page(form, 422)
    flash("Rule saved.", "info")
    return redirect(url_for("outreach.rules"))


@bp.post("/rules/<int:rule_id>/delete")
def delete_rule(rule_id: int):
    """Delete a rule and its schedules."""
    outreach.delete_rule(g.workspace.id, rule_id)
    flash("Rule deleted.", "info")
    return redirect(url_for("outreach.rules"))


@bp.get("/schedules")
def schedules():
    """Planned messages and reminders, by status."""
    status = _choice(request.args.get("status"), SCHEDULE_STATUSES)
    stmt = outreach.schedules_query(g.workspace.id, status=status)
    return render_template(
        "outreach/schedules.html",
        page=_page(stmt),
        status=status,
        statuses=SCHEDULE_STATUSES,
    )


@bp.get("/messages")
def messages():
    """The message log: queued, sent and failed messages with their reasons."""
    status = _choice(request.args.get("status"), MESSAGE_STATUSES)
    job_id = request.args.get("job_id") or None
    stmt = outreach.messages_query(g.workspace.id, status=status, job_id=job_id)
    return render_template(
        "outreach/messages.html",
        page=_page(stmt),
        status=status,
        statuses=MESSAGE_STATUSES,
        job_id=job_id,
    )


@bp.get("/upcoming")
def upcoming():
    """Dry run: what would be sent in the next 24 hours."""
    return render_template(
        "outreach/upcoming.html", planned=outreach.upcoming(g.workspace.id)
    )
