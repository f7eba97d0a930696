from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField
from wtforms.validators import DataRequired

from ..forms import Form, IdSelectField
from ..submissions import SubmissionKey


class UploadForm(Form):
    facility = IdSelectField(_l("Facility"), validators=[DataRequired()])
    spreadsheet = FileField(
        _l("Spreadsheet (.xlsx)"),
        validators=[FileRequired(_l("Choose the spreadsheet to upload."))],
    )


class ConfirmForm(SubmissionKey, Form):
    different_people = BooleanField(
        _l("The possible duplicates are different people: import them all the same")
    )
