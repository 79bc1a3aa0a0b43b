"""WTForms classes for the HTML pages."""

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.file import FileRequired
from wtforms import BooleanField
from wtforms import EmailField
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import PasswordField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import EqualTo
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput
from wtforms.widgets import ListWidget

from prospecting.models.accounts import ROLES
from prospecting.models.accounts import TOKEN_ROLES
from prospecting.services.contacts.strategy import DEFAULT as DEFAULT_STRATEGY
from prospecting.services.contacts.strategy import STRATEGIES as UPDATE_STRATEGIES
from prospecting.services.csvfiles import BOOK_FIELDS
from prospecting.services.errors import InvalidInput


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


# How an upload is read: its encoding and delimiter (blank: detected) and, for a
# workbook, its sheet (blank: the first).
READING = ("encoding", "delimiter", "sheet")


class _MappingForm(FlaskForm):
    """An upload preview's choices: how to read the file and a column per field."""

    # The fields a column can be mapped to (mapping_form sets them).
    MAPPED: tuple[str, ...] = ()

    encoding = StringField("Encoding", validators=[Optional(), Length(max=40)])
    delimiter = StringField("Delimiter", validators=[Optional(), Length(max=4)])
    sheet = StringField("Sheet", validators=[Optional(), Length(max=6)])

    @classmethod
    def suggested(cls, mapping: dict, reading: dict, **data):
        """The form as a preview first shows it, never read from the request: the
        suggested column of each field, the reading shown, then `data`."""
        columns = {f"map_{f}": mapping.get(f) or "" for f in cls.MAPPED}
        return cls(formdata=None, data={**columns, **reading, **data})

    def mapping(self) -> dict:
        """The chosen column of each field (None when none was chosen)."""
        return {f: (self[f"map_{f}"].data or "").strip() or None for f in self.MAPPED}

    def reading(self) -> dict:
        """The chosen encoding, delimiter and sheet (None where left blank)."""
        return {name: self[name].data or None for name in READING}


def mapping_form(fields, **extra):
    """A mapping form class with a map_<field> choice per field, plus `extra`."""
    columns = {f"map_{f}": StringField(f, validators=[Optional()]) for f in fields}
    attrs = {"MAPPED": tuple(fields), **columns, **extra}
    return type("MappingForm", (_MappingForm,), attrs)


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
    update_strategy=SelectField(
        "People already in the book",
        choices=[SelectChoice(k, v) for k, v in UPDATE_STRATEGIES.items()],
        default=DEFAULT_STRATEGY,
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


def new_form(name: str = "ConfirmForm", **data) -> FlaskForm:
    """A form of this module by class name, filled from `data` and never from the
    request: for fragments that many views render (a job's resume box, a row's
    action button), where no view hands the template a form."""
    form_class = globals()[name]
    if not (isinstance(form_class, type) and issubclass(form_class, FlaskForm)):
        raise LookupError(f"{name} is not a form")
    return form_class(formdata=None, data=data)


# Jobs


def _cap(form, field) -> None:
    """A cost cap as the ledger reads it: blank, or a number from 0 (no cap)."""
    from prospecting.services import ledger

    if field.data not in (None, ""):
        try:
            ledger.parse_cap(field.data)
        except InvalidInput as exc:
            raise ValidationError(exc.message) from None


class ResumeForm(FlaskForm):
    """Raise a paused job's caps and resume it."""

    cost_cap = StringField(
        "Job cost cap (0 = none)", validators=[Optional(), Length(max=40), _cap]
    )
    daily_cap = StringField(
        "Workspace daily cap (blank = unchanged)",
        validators=[Optional(), Length(max=40), _cap],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        unit = current_app.config["COST_UNIT"]
        self.cost_cap.label.text = f"Job cost cap ({unit}, 0 = none)"

    def add_error(self, exc: InvalidInput) -> None:
        """Put a refusal of the ledger under the field it is about."""
        field = self.daily_cap if exc.code == "daily_cap_too_low" else self.cost_cap
        field.errors = [*field.errors, exc.message]


# LinkedIn prospect search (the service checks the values; the messages match it)


class LinkedInAccountForm(FlaskForm):
    dsn = StringField(
        "DSN (base URL)",
        validators=[
            DataRequired("Enter the DSN (base URL) of your Unipile account."),
            Length(max=255),
        ],
    )
    api_key = PasswordField("API key", validators=[Optional(), Length(max=500)])
    account_id = StringField(
        "Account id",
        validators=[
            DataRequired("Enter the Unipile account id (up to 120 characters)."),
            Length(
                max=120, message="Enter the Unipile account id (up to 120 characters)."
            ),
        ],
    )


class ProspectSearchForm(FlaskForm):
    keywords = StringField("Keywords", validators=[Length(max=200)])
    title = StringField("Title", validators=[Length(max=200)])
    search_source = SelectField("Source", default="classic")
    target_count = StringField(
        "Target count",
        default="100",
        validators=[DataRequired("Enter how many prospects to fetch."), Length(max=12)],
    )
    # "id::title" pairs found by the location search: not a fixed list.
    location = SelectMultipleField("Location", validate_choice=False)
    company_headcount = SelectMultipleField("Company headcount")
    cost_cap = StringField(
        "Cost cap (0 = no cap)", validators=[Optional(), Length(max=40), _cap]
    )

    def __init__(self, *args, **kwargs):
        from prospecting.services import prospects

        super().__init__(*args, **kwargs)
        self.search_source.choices = [
            SelectChoice(k, v) for k, v in prospects.API_LABELS.items()
        ]
        self.company_headcount.choices = [SelectChoice(b) for b in prospects.HEADCOUNTS]
        unit = current_app.config["COST_UNIT"]
        self.cost_cap.label.text = f"Cost cap ({unit}, 0 = no cap)"


# People search (ReachStream)


class _PeopleSearchBase(FlaskForm):
    fetch_count = StringField(
        "Records to fetch",
        validators=[Length(max=12)],
    )
    cost_cap = StringField(
        "Cost cap (0 = no cap)", validators=[Optional(), Length(max=40), _cap]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        top = current_app.config["REACHSTREAM_MAX_FETCH"]
        self.fetch_count.label.text = f"Records to fetch (1–{top})"
        unit = current_app.config["COST_UNIT"]
        self.cost_cap.label.text = f"Cost cap ({unit}, 0 = no cap)"


def people_search_form(fields: dict[str, str], choices: dict[str, tuple]) -> type:
    """The people search form class: one field per provider filter (a multi-select
    where the vocabulary is fixed, else typed values), then the records and the cap."""
    attrs = {}
    for key, label in fields.items():
        if key in choices:
            # The provider checks the values: the service refuses what it cannot send.
            attrs[key] = SelectMultipleField(
                label,
                choices=[SelectChoice(c) for c in choices[key]],
                validate_choice=False,
            )
        else:
            attrs[key] = StringField(label, validators=[Length(max=2000)])
    return type("PeopleSearchForm", (_PeopleSearchBase,), attrs)


class SaveSearchForm(FlaskForm):
    name = StringField(
        "Name this filter",
        validators=[
            DataRequired("Give the saved search a name (up to 120 characters)."),
            Length(
                max=120, message="Give the saved search a name (up to 120 characters)."
            ),
        ],
    )


# Email finder


class FinderLookupForm(FlaskForm):
    first_name = StringField("First name", validators=[Length(max=200)])
    last_name = StringField("Last name", validators=[Length(max=200)])
    full_name = StringField("or full name", validators=[Length(max=400)])
    domain = StringField("Company domain", validators=[Length(max=255)])
    company = StringField("or company name", validators=[Length(max=255)])


class _WaterfallBase(FlaskForm):
    freshness = StringField(
        "Re-verify contacts older than (days)", validators=[Length(max=12)]
    )


def waterfall_form(fields: dict[str, list[str]]) -> type:
    """The waterfall settings form class: a position (1–9, blank = off) for each
    provider of each field, named "<field>:<provider>", and the freshness window."""
    attrs = {
        f"{name}:{choice}": IntegerField(
            f"{choice} (position, blank = off)",
            validators=[
                Optional(),
                NumberRange(1, 9, "A position from 1 to 9, or blank for off."),
            ],
        )
        for name, choices in fields.items()
        for choice in choices
    }
    return type("WaterfallForm", (_WaterfallBase,), attrs)


class BulkFindForm(FlaskForm):
    source = HiddenField(validators=[DataRequired(), Length(max=40)])
    scope = HiddenField(validators=[Optional(), Length(max=64)])


class ReverifyForm(FlaskForm):
    only_unknown = HiddenField(validators=[Optional(), Length(max=5)])
    older_than_days = HiddenField(validators=[Optional(), Length(max=12)])


class ImportToListForm(FlaskForm):
    """A results table's people into the book, then onto a list."""

    target_list = IntegerField("List", validators=[DataRequired()])
    include_risky = BooleanField("Include risky emails")
    next = HiddenField("Back to", validators=[Length(max=2000)])
    # Which rows: the checked ones, the page, every row the table's filter
    # shows (confirmed by sending that count), or (no scope) the whole job.
    scope = SelectField(
        "Rows",
        choices=[
            SelectChoice("selected", "the checked rows"),
            SelectChoice("page", "this page"),
            SelectChoice("all", "all matching"),
            SelectChoice("job", "all of them"),
        ],
        default="job",
        validators=[Optional()],
    )
    row_ids = SelectMultipleField(
        "Checked rows", coerce=int, validate_choice=False, validators=[Optional()]
    )
    page_ids = StringField("Page", validators=[Optional(), Length(max=20000)])
    confirm_count = IntegerField("Confirmed count", validators=[Optional()])
    status = StringField("Status", validators=[Optional(), Length(max=40)])
    verdict = StringField("Verdict", validators=[Optional(), Length(max=40)])
    flag = StringField("Flag", validators=[Optional(), Length(max=40)])
