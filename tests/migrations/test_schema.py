"""The migrations build exactly the schema the models describe, and apply to an older database."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import func, inspect, select, text

from reintegration import create_app
from reintegration.database import MIGRATIONS
from reintegration.extensions import db
from reintegration.reference.models import Entitlement, IdentificationStatus, Province


def test_migrated_schema_matches_the_models(app):
    differences = compare_metadata(
        MigrationContext.configure(db.session.connection(), opts={"compare_type": True}),
        db.metadata,
    )

    assert differences == []


def test_the_34_provinces_are_shipped():
    provinces = db.session.scalars(select(Province)).all()

    assert len(provinces) == 34
    assert {"Nghệ An", "Hà Tĩnh", "Thành phố Hồ Chí Minh"} <= {p.name_vi for p in provinces}


def test_identified_victims_are_entitled_to_every_support_type():
    entitled = db.session.scalars(
        select(Entitlement).where(Entitlement.status == IdentificationStatus.IDENTIFIED)
    ).all()

    assert sorted(e.support_type.letter for e in entitled) == sorted("abcdđeghik")


def test_an_older_database_is_brought_up_to_date_when_the_app_starts(tmp_path):
    settings = {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path}/old.db"}
    older = create_app({**settings, "AUTO_MIGRATE": False})
    with older.app_context():
        upgrade(directory=MIGRATIONS, revision="0001")
        with db.engine.connect() as connection:
            assert "provinces" in inspect(connection).get_table_names()
            assert connection.scalar(select(func.count(Province.id))) == 0

    started = create_app({**settings, "AUTO_MIGRATE": True})

    with started.app_context(), db.engine.connect() as connection:
        version = connection.scalar(text("SELECT version_num FROM alembic_version"))
        assert version == ScriptDirectory(MIGRATIONS).get_current_head()
        assert connection.scalar(select(func.count(Province.id))) == 34
