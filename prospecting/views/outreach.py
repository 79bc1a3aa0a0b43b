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
from wtforms import RadioField
from wtforms import SelectChoice
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from prospecting.extensions import db
from prospecting.forms import ConfirmForm
from prospecting.models.outreach import MESSAGE_STATUSES
from prospecting.models.outreach import SCHEDULE_STATUSES
from prospecting.services import outreach
from prospecting.services.errors import ServiceError
from prospecting.services.pages import Page
from prospecting.views.responses import requested_page

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
    apply_to = RadioField(
        "Samples already in this status",
        choices=[
            SelectChoice(
                "future", "Leave them: only samples that move to this status from now"
            ),
            SelectChoice(
                "existing", "Schedule them too: their first message goes out now"
            ),
        ],
        default="future",
    )


def _page(stmt) -> Page:
    per_page = current_app.config["RESULTS_PER_PAGE"]
    return Page.of_select(stmt, requested_page(), per_page)


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
    """The workspace's status rules and a form to add one."""
    return _rules_page(RuleForm())


def _rules_page(form, status=200):
    counts = outreach.status_counts(g.workspace.id)
    return render_template(
        "outreach/rules.html",
        form=form,
        rules=outreach.rules(g.workspace.id),
        counts=counts,
        reach=_reach(form.sample_status.data, None, counts),
    ), status


def _reach(status: str | None, rule, counts: dict[str, int]) -> dict:
    """What the rule form says about a status: the samples in it now and how
    many the rule would schedule if applied to them."""
    wanted = outreach.normalise_status(status)
    return {
        "status": wanted,
        "known": wanted in counts,
        "in_status": counts.get(wanted, 0),
        "would_schedule": outreach.reach(
            g.workspace.id, wanted, rule.id if rule else None
        ),
        "seen": list(counts),
        "rule": rule,
    }


@bp.get("/rules/reach")
def rule_reach():
    """The rule form's note on the typed status (samples in it, a warning when no
    sample has it), refreshed as the user types."""
    rule_id = request.args.get("rule_id", type=int)
    rule = outreach.get_rule(g.workspace.id, rule_id) if rule_id else None
    counts = outreach.status_counts(g.workspace.id)
    return render_template(
        "outreach/_reach.html",
        reach=_reach(request.args.get("sample_status"), rule, counts),
    )


def _save(form, rule=None):
    return outreach.save_rule(
        g.workspace.id,
        sample_status=form.sample_status.data,
        template=form.template.data,
        reminder_template=form.reminder_template.data,
        reminder_every_hours=form.reminder_every_hours.data or 0,
        reminder_max=form.reminder_max.data or 0,
        active=form.active.data,
        rule_id=rule.id if rule else None,
        replace=False,
        apply_to_existing=form.apply_to.data == "existing",
    )


def _saved_message(rule, before: int, applied: bool) -> None:
    """Flash what saving did to the samples already in the rule's status."""
    counts = outreach.status_counts(g.workspace.id)
    status = rule.sample_status
    if status not in counts:
        flash(
            f"Rule saved, but no ingested sample has the status {status} yet: "
            "check the spelling (seen: "
            f"{', '.join(counts) or 'none yet'}). It applies once a sample has it.",
            "warning",
        )
    elif applied and rule.active:
        flash(
            f"Rule saved; {before} sample(s) already {status} are scheduled, "
            "their first message now.",
            "info",
        )
    else:
        flash(
            f"Rule saved for samples that become {status} from now on; the "
            f"{before} already {status} were left alone.",
            "info",
        )


@bp.post("/rules")
def save_rule():
    """Create the rule of a sample status (a status has one rule: edit it)."""
    form = RuleForm()
    if not form.validate_on_submit():
        return _rules_page(form, 422)
    before = outreach.reach(g.workspace.id, form.sample_status.data)
    try:
        rule = _save(form)
    except ServiceError as exc:
        form.sample_status.errors = [exc.message]
        return _rules_page(form, exc.status_code)
    _saved_message(rule, before, form.apply_to.data == "existing")
    return redirect(url_for("outreach.rules"))


def _edit_page(rule, form, status=200):
    counts = outreach.status_counts(g.workspace.id)
    return render_template(
        "outreach/rule_edit.html",
        rule=rule,
        form=form,
        counts=counts,
        reach=_reach(form.sample_status.data, rule, counts),
        pending=outreach.pending_of(rule),
    ), status


@bp.get("/rules/<int:rule_id>/edit")
def edit_rule(rule_id: int):
    """The form to edit a rule."""
    rule = outreach.get_rule(g.workspace.id, rule_id)
    form = RuleForm(obj=rule, formdata=None)
    form.apply_to.data = "future"
    return _edit_page(rule, form)


@bp.post("/rules/<int:rule_id>/edit")
def update_rule(rule_id: int):
    """Save an edited rule; its pending messages use the new text."""
    rule = outreach.get_rule(g.workspace.id, rule_id)
    form = RuleForm()
    if not form.validate_on_submit():
        return _edit_page(rule, form, 422)
    before = outreach.reach(g.workspace.id, form.sample_status.data, rule.id)
    try:
        rule = _save(form, rule)
    except ServiceError as exc:
        form.sample_status.errors = [exc.message]
        return _edit_page(rule, form, exc.status_code)
    _saved_message(rule, before, form.apply_to.data == "existing")
    return redirect(url_for("outreach.rules"))


@bp.get("/rules/<int:rule_id>/delete")
def confirm_delete_rule(rule_id: int):
    """Ask before deleting a rule, saying what its deletion stops."""
    rule = outreach.get_rule(g.workspace.id, rule_id)
    pending = outreach.pending_of(rule)
    return render_template(
        "components/confirm.html",
        title="Delete outreach rule",
        lines=[
            f"Delete the rule for samples in status {rule.sample_status}?",
            f"Its {pending} message(s) and reminder(s) still to be sent will not "
            "be sent; messages already sent stay in the log.",
        ],
        action=url_for("outreach.delete_rule", rule_id=rule.id),
        button="Delete rule",
        cancel=url_for("outreach.rules"),
        form=ConfirmForm(),
    )


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
