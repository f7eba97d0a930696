from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from ..access import Role
from ..forms import Form, IdSelectField
from ..submissions import SubmissionKey
from ..versions import VersionedForm

EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("This is not an email address."))
USERNAME = Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use letters, digits, dots, dashes."))


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    next = HiddenField()


class NewPasswordMixin:
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class SetupForm(NewPasswordMixin, Form):
    username = StringField(
        _l("Username"), validators=[DataRequired(), Length(min=3, max=80), USERNAME]
    )
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)])


class PasswordForm(NewPasswordMixin, Form):
    pass


class ChangePasswordForm(NewPasswordMixin, Form):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])


class UserForm(VersionedForm, Form):
    username = StringField(
        _l("Username"), validators=[DataRequired(), Length(min=3, max=80), USERNAME]
    )
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=200), EMAIL])
    role = SelectField(_l("Role"), choices=Role.choices, validators=[DataRequired()])
    facility = IdSelectField(_l("Facility"), validators=[Optional()])
    province = IdSelectField(_l("Province"), validators=[Optional()])


class NewUserForm(SubmissionKey, NewPasswordMixin, UserForm):
    pass


class LanguageForm(Form):
    language = SelectField(choices=[("vi", "Tiếng Việt"), ("en", "English")])
    next = HiddenField()


class ActiveForm(Form):
    active = BooleanField()
