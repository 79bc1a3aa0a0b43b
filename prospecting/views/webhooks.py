"""Outgoing webhooks (/settings/webhooks): a workspace's endpoints, their signing
secrets (shown once), every delivery with its attempts, and resending one."""

from flask import Blueprint
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from prospecting import tasks
from prospecting.forms import ConfirmForm
from prospecting.forms import WebhookForm
from prospecting.services import jobs
from prospecting.services import webhooks
from prospecting.services.errors import InvalidInput
from prospecting.services.pages import Page
from prospecting.views.accounts import pop_secret
from prospecting.views.accounts import stash_secret
from prospecting.views.responses import requested_page
from prospecting.views.responses import warn_if_not_sent

bp = Blueprint("webhooks", __name__)
DELIVERIES_PER_PAGE = 50


def _form(*, submitted: bool = False) -> WebhookForm:
    form = WebhookForm() if submitted else WebhookForm(formdata=None)
    form.events.choices = [(e, e) for e in webhooks.EVENTS]
    return form


def _page(status: int = 200, form: WebhookForm | None = None):
    return render_template(
        "webhooks/index.html",
        endpoints=webhooks.endpoints_of(g.workspace.id),
        form=form or _form(),
        new_secret=pop_secret("webhook_secret"),
        events=webhooks.EVENTS,
    ), status


@bp.get("/settings/webhooks")
def index():
    """The workspace's webhook endpoints and a form to add one."""
    return _page()


@bp.post("/settings/webhooks")
def create():
    """Add an endpoint; its signing secret is shown once on the next page."""
    form = _form(submitted=True)
    if not form.validate_on_submit():
        return _page(422, form)
    try:
        _, secret = webhooks.add_endpoint(
            g.workspace.id, form.url.data, form.events.data, form.description.data
        )
    except InvalidInput as exc:
        field = (exc.details or {}).get("field", "url")
        getattr(form, field, form.url).errors.append(exc.message)
        return _page(exc.status_code, form)
    stash_secret("webhook_secret", secret)
    return redirect(url_for("webhooks.index", _anchor="webhook-secret"))


@bp.get("/settings/webhooks/<int:endpoint_id>")
def show(endpoint_id: int):
    """An endpoint's deliveries, newest first, each with its attempts."""
    endpoint = webhooks.get_endpoint(g.workspace.id, endpoint_id)
    number = requested_page()
    deliveries, total = webhooks.deliveries_of(
        g.workspace.id, endpoint.id, page=number, per_page=DELIVERIES_PER_PAGE
    )
    return render_template(
        "webhooks/show.html",
        endpoint=endpoint,
        deliveries=deliveries,
        attempts=webhooks.attempts_of([d.id for d in deliveries]),
        page=Page(deliveries, number, DELIVERIES_PER_PAGE, total),
        form=ConfirmForm(),
    )


@bp.post("/settings/webhooks/deliveries/<int:delivery_id>/resend")
def resend(delivery_id: int):
    """Send a delivery again now, with the same body."""
    job_id = webhooks.resend(g.workspace.id, delivery_id)
    warn_if_not_sent(tasks.enqueue_batches(jobs.open_batches(job_id)))
    flash("The delivery is sent again.", "info")
    return redirect(request.referrer or url_for("webhooks.index"))


@bp.get("/settings/webhooks/<int:endpoint_id>/delete")
def confirm_delete(endpoint_id: int):
    """Ask before removing an endpoint."""
    endpoint = webhooks.get_endpoint(g.workspace.id, endpoint_id)
    return render_template(
        "components/confirm.html",
        title="Remove webhook endpoint",
        lines=[
            f"Remove the endpoint {endpoint.url}?",
            "It receives no more events, and its delivery log is deleted with it.",
        ],
        action=url_for("webhooks.delete", endpoint_id=endpoint.id),
        button="Remove endpoint",
        cancel=url_for("webhooks.index"),
        form=ConfirmForm(),
    )


@bp.post("/settings/webhooks/<int:endpoint_id>/delete")
def delete(endpoint_id: int):
    webhooks.delete_endpoint(g.workspace.id, endpoint_id)
    flash("Webhook endpoint removed.", "info")
    return redirect(url_for("webhooks.index"))
