"""Extensions, created unbound and initialised in create_app()."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_babel.speaklater import LazyString
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from markupsafe import escape
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep migrations portable between SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)

# The base class of every model. At run time it is ``db.Model``, which Flask-SQLAlchemy makes
# from ``Base`` (the same attributes and metadata, plus its bind and table-name mixins). A type
# checker cannot take an instance's attribute as a base class, so it is told the declarative
# base ``db.Model`` is made from: that is what types the mapped columns and relationships.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def _escaped(text: LazyString):
    return escape(str(text))


# Flask-Babel's lazy strings call themselves HTML already (their ``__html__`` gives the text as it
# is), so Jinja, WTForms and the flashed messages kept in the session would not escape a value a
# user typed inside ``_l("… %(name)s", name=…)``: a refusal naming a receipt number, an employer
# or a holiday would show it as HTML. Their text is escaped like any other.
LazyString.__html__ = _escaped
