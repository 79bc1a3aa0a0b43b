"""WTForms classes of the contacts area: a contact, a merge, an erase."""

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import HiddenField
from wtforms import SelectField
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import Optional


def _company(value):
    """A company id from the select, or None for "No company"."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ContactForm(FlaskForm):
    """A person's values, as the new and edit pages take them."""

    name = StringField("Name", validators=[Optional(), Length(max=255)])
    email = StringField("Email", validators=[Optional(), Length(max=320)])
    phone = StringField("Phone", validators=[Optional(), Length(max=40)])
    title = StringField("Title", validators=[Optional(), Length(max=255)])
    location = StringField("Location", validators=[Optional(), Length(max=255)])
    linkedin_url = StringField(
        "LinkedIn profile", validators=[Optional(), Length(max=500)]
    )
    company_id = SelectField("Company", coerce=_company, validate_choice=False)

    def with_companies(self, companies) -> "ContactForm":
        self.company_id.choices = [SelectChoice("", "No company")] + [
            SelectChoice(c.id, c.name) for c in companies
        ]
        return self

    def values(self, *names: str) -> dict:
        return {n: (getattr(self, n).data or "") for n in names} | {
            "company_id": self.company_id.data
        }


class NewContactForm(ContactForm):
    keep_undeliverable = BooleanField(
        "Keep the address even if it is invalid or disposable"
    )


class MergeForm(FlaskForm):
    """One click that merges the previewed contacts into the winner."""

    winner_id = HiddenField(validators=[DataRequired()])
    loser_ids = HiddenField(validators=[DataRequired()])


class EraseForm(FlaskForm):
    confirm = StringField(
        "Type the contact's email address (or phone) to confirm",
        validators=[DataRequired(), Length(max=320)],
    )
