"""WTForms classes of the lists area's pages: a list, tags, a bulk action. (A
results table's rows into a list is `forms.ImportToListForm`: the tables of
three areas render it.)"""

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import IntegerField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import Optional


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
    # The checked rows' ids; any text is kept here and checked by _selection.
    ids = SelectMultipleField("Contacts", validate_choice=False)
