"""WTForms classes of the contacts area: a contact, a merge, an erase."""

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import HiddenField
from wtforms import IntegerField
from wtforms import PasswordField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from prospecting.services.contacts.companies import CHOICES


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
        """The company menu: "No company" and these companies (a few, with a
        search beside them when there are more: `company_choices`)."""
        self.company_id.choices = [SelectChoice("", "No company")] + [
            SelectChoice(c.id, c.name) for c in companies
        ]
        self.more_companies = len(companies) >= CHOICES
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


class CompanyForm(FlaskForm):
    """A company's name, domain and registration number (the service checks them)."""

    name = StringField("Name", validators=[Length(max=255)])
    domain = StringField("Domain", validators=[Optional(), Length(max=255)])
    registration_number = StringField(
        "CIN or LLPIN", validators=[Optional(), Length(max=40)]
    )

    # The service's refusals by code, shown under the field they name.
    FIELD_OF_CODE = {
        "no_name": "name",
        "bad_domain": "domain",
        "invalid_registration_number": "registration_number",
        "duplicate_company": "registration_number",
    }

    def values(self) -> dict:
        return {
            n: self[n].data or "" for n in ("name", "domain", "registration_number")
        }

    def refuse(self, exc) -> bool:
        """Put a service refusal under its field; False when it names none."""
        field = self.FIELD_OF_CODE.get(exc.code)
        if field is None:
            return False
        self[field].errors = [*self[field].errors, exc.message]
        return True


class FetchForm(FlaskForm):
    """How many of a company's contacts to fetch (the service caps it)."""

    max_contacts = StringField("At most", validators=[Optional(), Length(max=12)])


class ImportEnrichmentForm(FlaskForm):
    """Bring an enrichment job's rows into the contact book."""

    # The buttons send "1"; "0" stays off as it did before the form.
    include_risky = BooleanField(
        "with risky and catch-all addresses", false_values=("false", "", "0")
    )
    keep_undeliverable = BooleanField(
        "keep undeliverable addresses", false_values=("false", "", "0")
    )


class _AirtableSettingsBase(FlaskForm):
    """The Airtable settings; the service checks the base id, tables and merges."""

    token = PasswordField(
        "Personal access token", validators=[Optional(), Length(max=500)]
    )
    base_id = StringField("Base id", validators=[Length(max=40)])
    contacts_table = StringField("Contacts table", validators=[Length(max=255)])
    companies_table = StringField("Companies table", validators=[Length(max=255)])
    sync_interval_minutes = IntegerField(
        "Sync every (minutes, 0 = off)",
        validators=[Optional(), NumberRange(min=0, max=10080)],
        default=0,
    )

    def mapping(self, prefix: str, keys) -> dict:
        """The Airtable field name typed for each key (blank leaves it out)."""
        return {k: self[f"{prefix}{k}"].data or "" for k in keys}

    def refuse(self, exc) -> bool:
        """Put a service refusal under its field; False when it names none."""
        field = {
            "no_token": "token",
            "bad_base_id": "base_id",
            "table": "contacts_table",
            "interval": "sync_interval_minutes",
        }.get(exc.code)
        if exc.code == "bad_merge_field":
            company = "company" in exc.message
            field = "company_merge_field" if company else "merge_field"
        if field is None:
            return False
        self[field].errors = [*self[field].errors, exc.message]
        return True


def airtable_settings_form(contact_keys, company_keys, merges, company_merges):
    """The settings form class with one text field per mapped contact and company
    attribute (`contact_field_<key>`, `company_field_<key>`)."""
    attrs = {
        f"contact_field_{k}": StringField(k, validators=[Length(max=255)])
        for k in contact_keys
    } | {
        f"company_field_{k}": StringField(k, validators=[Length(max=255)])
        for k in company_keys
    }
    # The service refuses a merge field it does not know, in its own words.
    attrs["merge_field"] = SelectField(
        "Merge contacts on", choices=list(merges), validate_choice=False
    )
    attrs["company_merge_field"] = SelectField(
        "Merge companies on", choices=list(company_merges), validate_choice=False
    )
    return type("AirtableSettingsForm", (_AirtableSettingsBase,), attrs)


class SyncForm(FlaskForm):
    """Start an Airtable sync: what to do with a record already there, and
    whether to send the failed records again (the service checks the strategy)."""

    update_strategy = RadioField(
        "When a record is already in Airtable",
        choices=[
            SelectChoice(
                "fill",
                "Fill empty fields: only the fields empty in Airtable are written; "
                "a value someone typed there stays.",
            ),
            SelectChoice(
                "overwrite",
                "Overwrite with the newer value: the book's value replaces the one "
                "in Airtable.",
            ),
        ],
        default="fill",
        validate_choice=False,
    )
    retry_failed = HiddenField(default="")
