"""Going back before migration 0009 would drop waiting workbooks and previews: refused unless
forced."""

from flask_migrate.cli import db as db_command
from sqlalchemy import inspect, text

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.imports import pending
from tests.conftest import Factory
from tests.own_database import app_on_own_database, own_sessions


def test_a_downgrade_below_0009_with_a_preview_waiting_is_refused_unless_forced(
    tmp_path_factory, caplog
):
    with (
        app_on_own_database(tmp_path_factory, "jobs_downgrade") as app,
        own_sessions(),
        app.app_context(),
    ):
        user = Factory().user(Role.SHELTER_STAFF, facility=Factory().facility("NA"))
        pending.save({"rows": []}, user.id)
        db.session.commit()
        cli = app.test_cli_runner()

        refused = cli.invoke(db_command, ["downgrade", "0008"])
        kept = inspect(db.engine).get_table_names()
        forced = cli.invoke(db_command, ["-x", "force=yes", "downgrade", "0008"])
        with db.engine.connect() as connection:
            version = connection.scalar(text("SELECT version_num FROM alembic_version"))
            left = inspect(connection).get_table_names()
        db.session.remove()

    said = refused.output + caplog.text  # Flask-Migrate logs the refusal as an error
    assert refused.exit_code == 1
    assert "import_previews: 1 row" in said
    assert "export_jobs" not in said  # none waiting
    assert "import_previews" in kept
    assert forced.exit_code == 0, forced.output
    assert version == "0008"
    assert not {"import_previews", "export_jobs", "export_job_parts"} & set(left)
