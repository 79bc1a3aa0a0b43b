"""WTForms classes for the HTML pages."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.file import FileRequired
from wtforms import BooleanField
from wtforms import EmailField
from wtforms import IntegerField
from wtforms import PasswordField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import EqualTo
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput
from wtforms.widgets import ListWidget

from prospecting.models.accounts import ROLES
from prospecting.models.accounts import TOKEN_ROLES


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in")


class PasswordForm(FlaskForm):
    current = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=200)]
    )
    new = PasswordField(
        "New password", validators=[DataRequired(), Length(min=8, max=200)]
    )
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("new", "The two new passwords differ.")],
    )


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=120)])
    role = SelectField(
        "Acts as",
        choices=list(TOKEN_ROLES),
        default="member",
        validators=[DataRequired()],
    )


class ConfirmForm(FlaskForm):
    """The confirmation of a destructive action: nothing but the CSRF token."""


class DeleteWorkspaceForm(FlaskForm):
    confirm_name = StringField(
        "Type the workspace's name to confirm",
        validators=[DataRequired(), Length(max=120)],
    )


class CapsForm(FlaskForm):
    daily_cap = StringField(
        "Daily cost cap (0 = no cap)", validators=[DataRequired(), Length(max=40)]
    )


class SwitchWorkspaceForm(FlaskForm):
    workspace_id = IntegerField("Workspace", validators=[DataRequired()])


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    role = SelectField(
        "Role", choices=list(ROLES), default="member",
        validators=[DataRequired()],
    )  # fmt: skip


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=list(ROLES))


class AcceptForm(FlaskForm):
    """Accepting an invitation as a new user: the password of the new account."""

    password = PasswordField(
        "Choose a password", validators=[DataRequired(), Length(min=8, max=200)]
    )
    confirm = PasswordField(
        "The password again",
        validators=[DataRequired(), EqualTo("password", "The two passwords differ.")],
    )


class UploadForm(FlaskForm):
    file = FileField(
        "CSV file", validators=[FileRequired("Choose a CSV file to upload.")]
    )


class WebhookForm(FlaskForm):
    url = StringField(
        "Receiver URL (https)", validators=[DataRequired(), Length(max=2000)]
    )
    events = SelectMultipleField(
        "Events",
        validators=[DataRequired(message="Choose at least one event.")],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    description = StringField("Description (optional)", validators=[Length(max=200)])


class ListForm(FlaskForm):
    """A new list: static, or smart saving the book's filter it was made from."""

    name = StringField("List name", validators=[DataRequired(), Length(max=120)])
    kind = SelectField(
        "Kind",
        choices=["static", "smart"],
        default="static",
    )
    filter = StringField("Filter", validators=[Length(max=2000)])


class RenameListForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])


class TagsForm(FlaskForm):
    tags = StringField("Tags (comma-separated)", validators=[Length(max=2000)])


class BulkForm(FlaskForm):
    """A bulk action on checked rows, the page, or every row matching a filter."""

    action = SelectField(
        "Action",
        choices=[
            "add",
            "remove",
            "tag",
            "untag",
            "reverify",
            "export",
            "sync",
            "delete",
        ],
    )
    scope = SelectField(
        "Apply to",
        choices=["selected", "page", "all"],
        default="selected",
    )
    target_list = IntegerField("List", validators=[Optional()])
    tag_name = StringField("Tag", validators=[Length(max=60)])
    page_ids = StringField("Page", validators=[Length(max=20000)])
    filter = StringField("Filter", validators=[Length(max=2000)])
    next = StringField("Back to", validators=[Length(max=2000)])
    confirmed = BooleanField("Confirmed")


class ImportToListForm(FlaskForm):
    """A results table's people into the book, then onto a list."""

    target_list = IntegerField("List", validators=[DataRequired()])
    include_risky = BooleanField("Include risky emails")
