"""The workspace's members, their roles and invitations (/settings/members), and
the invitation link a new or existing user accepts."""

import logging

from flask import Blueprint
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import session
from flask import url_for
from flask_login import current_user
from flask_login import login_user

from prospecting import mail
from prospecting.forms import AcceptForm
from prospecting.forms import ConfirmForm
from prospecting.forms import InviteForm
from prospecting.forms import RoleForm
from prospecting.models.accounts import ROLES
from prospecting.services import members
from prospecting.services.errors import NotFound
from prospecting.services.errors import ServiceError
from prospecting.views.accounts import pop_secret
from prospecting.views.accounts import stash_secret

logger = logging.getLogger(__name__)

bp = Blueprint("members", __name__)


def _assignable() -> list[str]:
    """The roles the current member may give: an owner any, an admin up to admin."""
    return list(ROLES if g.role == "owner" else ROLES[: ROLES.index("admin") + 1])


def _page(status: int = 200, invite_form=None):
    invite_form = invite_form or InviteForm(formdata=None)
    invite_form.role.choices = _assignable()
    return render_template(
        "members/index.html",
        members=members.members(g.workspace.id),
        invitations=members.pending(g.workspace.id),
        invite_form=invite_form,
        assignable=_assignable(),
        new_link=pop_secret("invitation_link"),
        mail_configured=mail.configured(),
        days=members.INVITATION_DAYS,
    ), status


@bp.get("/settings/members")
def index():
    """The workspace's members with their roles, and the open invitations."""
    return _page()


@bp.post("/settings/members/invitations")
def invite():
    """Invite someone by email: the one-time link is emailed when SMTP is set up,
    else shown once to copy."""
    form = InviteForm()
    form.role.choices = _assignable()
    if not form.validate_on_submit():
        return _page(422, form)
    try:
        invitation, raw = members.invite(
            g.workspace.id,
            form.email.data,
            form.role.data,
            by_user_id=current_user.id,
            by_role=g.role,
        )
    except ServiceError as exc:
        form.email.errors.append(exc.message)
        return _page(exc.status_code, form)
    link = url_for("members.accept", token=raw, _external=True)
    if mail.configured():
        try:
            mail.send(invitation.email, *_invitation_email(invitation, link))
        except mail.MailError as exc:
            logger.warning("invitation email to %s failed: %s", invitation.email, exc)
            flash(
                f"The email to {invitation.email} could not be sent ({exc}); "
                "copy the link below and send it yourself.",
                "warning",
            )
        else:
            flash(
                f"Invitation emailed to {invitation.email} (as {invitation.role}); "
                f"the link works once, for {members.INVITATION_DAYS} days.",
                "info",
            )
            return redirect(url_for("members.index"))
    stash_secret("invitation_link", link)
    return redirect(url_for("members.index"))


def _invitation_email(invitation, link: str) -> tuple[str, str]:
    inviter = invitation.invited_by.email if invitation.invited_by else "An admin"
    subject = f"Join {invitation.workspace.name} on Prospecting"
    body = (
        f"{inviter} invites you to the workspace {invitation.workspace.name} as "
        f"{invitation.role}.\n\nAccept with this link (it works once, until "
        f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n\n{link}\n\n"
        "If you did not expect this, ignore this email.\n"
    )
    return subject, body


@bp.post("/settings/members/invitations/<int:invitation_id>/revoke")
def revoke_invitation(invitation_id: int):
    """Revoke an open invitation: its link stops working."""
    email = members.revoke_invitation(g.workspace.id, invitation_id, by_role=g.role)
    flash(f"The invitation to {email} is revoked.", "info")
    return redirect(url_for("members.index"))


@bp.post("/settings/members/<int:user_id>/role")
def change_role(user_id: int):
    """Give a member another role (never leaving the workspace without an owner)."""
    _member(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(f"A role is one of {', '.join(ROLES)}.", "error")
        return _page(422)
    try:
        old = members.change_role(
            g.workspace.id, user_id, form.role.data, by_role=g.role
        )
    except ServiceError as exc:
        flash(exc.message, "error")
        return _page(exc.status_code)
    flash(f"Role changed from {old} to {form.role.data}.", "info")
    return redirect(url_for("members.index"))


def _member(user_id: int) -> members.Member:
    for member in members.members(g.workspace.id):
        if member.user_id == user_id:
            return member
    raise NotFound("No such member.")


@bp.get("/settings/members/<int:user_id>/remove")
def confirm_remove(user_id: int):
    """Ask before removing a member."""
    member = _member(user_id)
    yourself = member.user_id == current_user.id
    lines = [
        f"Remove {member.email} ({member.role}) from {g.workspace.name}?",
        "They lose access at once; their account, their other workspaces and "
        "what they made here stay.",
    ]
    if yourself:
        lines[0] = f"Leave {g.workspace.name}? You are {member.role} here."
    return render_template(
        "components/confirm.html",
        title="Leave the workspace" if yourself else "Remove a member",
        lines=lines,
        action=url_for("members.remove", user_id=user_id),
        button="Leave" if yourself else "Remove member",
        cancel=url_for("members.index"),
        form=ConfirmForm(),
    )


@bp.post("/settings/members/<int:user_id>/remove")
def remove(user_id: int):
    """Remove a member from the workspace (not its last owner)."""
    try:
        email = members.remove(g.workspace.id, user_id, by_role=g.role)
    except NotFound:
        raise
    except ServiceError as exc:
        flash(exc.message, "error")
        return _page(exc.status_code)
    if user_id == current_user.id:
        session.pop("workspace_id", None)
        flash(f"You left {g.workspace.name}.", "info")
        return redirect(url_for("main.index"))
    flash(f"{email} is no longer a member.", "info")
    return redirect(url_for("members.index"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept(token: str):
    """Accept an invitation: a signed-in user joins the workspace; someone without
    an account sets a password; someone with one signs in first."""
    try:
        invitation = members.open_invitation(token)
    except ServiceError as exc:
        return render_template(
            "members/accept.html", problem=exc.message, invitation=None
        ), exc.status_code
    if current_user.is_authenticated:
        return _accept_signed_in(token, invitation)
    if members.user_exists(invitation.email):
        return render_template(
            "members/accept.html",
            invitation=invitation,
            sign_in=url_for(
                "accounts.login", next=url_for("members.accept", token=token)
            ),
        )
    form = AcceptForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template(
            "members/accept.html", invitation=invitation, form=form
        ), status
    try:
        user = members.accept_as_new_user(token, form.password.data)
    except ServiceError as exc:
        form.password.errors.append(exc.message)
        return render_template(
            "members/accept.html", invitation=invitation, form=form
        ), exc.status_code
    login_user(user)
    return _joined(invitation)


def _accept_signed_in(token: str, invitation):
    form = ConfirmForm()
    problem = None
    if current_user.email != invitation.email:
        problem = (
            f"This invitation is for {invitation.email}, and you are signed in as "
            f"{current_user.email}: sign out, then open the link again."
        )
    if problem is None and form.validate_on_submit():
        try:
            members.accept_as(token, current_user.id)
        except ServiceError as exc:
            problem = exc.message
        else:
            return _joined(invitation)
    status = 422 if problem and form.is_submitted() else 200
    return render_template(
        "members/accept.html",
        invitation=invitation,
        join_form=form,
        problem=problem,
    ), status


def _joined(invitation):
    session["workspace_id"] = invitation.workspace_id
    flash(
        f"Welcome to {invitation.workspace.name}: you are {invitation.role} here.",
        "info",
    )
    return redirect(url_for("main.index"))
