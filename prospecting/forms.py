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
from prospecting.services.csvfiles import BOOK_FIELDS


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
        "CSV or XLSX file",
        validators=[FileRequired("Choose a CSV or XLSX file to upload.")],
    )


class _MappingForm(FlaskForm):
    """An upload preview's choices: how to read the file and a column per field."""

    encoding = StringField("Encoding", validators=[Optional(), Length(max=40)])
    delimiter = StringField("Delimiter", validators=[Optional(), Length(max=4)])
    sheet = StringField("Sheet", validators=[Optional(), Length(max=6)])

    def mapping(self, fields) -> dict:
        """The chosen column of each field (None when none was chosen)."""
        return {f: (self[f"map_{f}"].data or "").strip() or None for f in fields}


def mapping_form(fields, **extra):
    """A mapping form class with a map_<field> choice per field, plus `extra`."""
    columns = {f"map_{f}": StringField(f, validators=[Optional()]) for f in fields}
    return type("MappingForm", (_MappingForm,), {**columns, **extra})


EnrichmentStartForm = mapping_form(
    BOOK_FIELDS,
    cost_cap=StringField("Cost cap", validators=[Optional(), Length(max=30)]),
    opt_find_emails=BooleanField("Find the email of rows that have none"),
    opt_company_if_empty=BooleanField("Look up the company only where it is empty"),
)


class RerunForm(FlaskForm):
    """Which rows of a finished enrichment run again."""

    only_unknown = BooleanField("Only emails whose verdict is unknown")
    older_than_days = StringField(
        "Only verifications older than (days)", validators=[Optional(), Length(max=5)]
    )
    # The service names a value it does not know (rerun_conditions).
    empty_field = SelectField(
        "Only rows where this field is empty",
        choices=["", "company", "phone", "verdict"],
        validate_choice=False,
    )


BookImportForm = mapping_form(
    BOOK_FIELDS,
    include_risky=BooleanField("Let risky and catch-all addresses in"),
    keep_undeliverable=BooleanField(
        "Keep invalid or disposable addresses of people who enter by another channel"
    ),
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
