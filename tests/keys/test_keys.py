"""The data keys: made by a command, required at start, checked against the database,
rotated in batches while the app runs, and a rotation that stops resumes."""

import os
import stat
import subprocess
import sys

import pytest
from sqlalchemy import select, text

from reintegration import ROOT, create_app
from reintegration.cases.models import Case
from reintegration.cases.queries import matching
from reintegration.extensions import db
from reintegration.keys import rotation
from reintegration.keys.keyring import KeyProblem, new_key, parse, write_key_file
from reintegration.keys.models import DataKeyRecord, SearchToken
from tests.own_database import SETTINGS, app_on_own_database, own_sessions

NAMES = ["Nguyễn Thị Đào", "Trần Văn Hùng", "Lò Thị Sáu"]


def _production(tmp_path, **settings):
    return create_app(
        {
            "SECRET_KEY": "production-secret",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
            "AUTO_MIGRATE": False,
            "DATA_KEY_FILE": str(tmp_path / "data.keys"),
            **settings,
        }
    )


def test_the_app_does_not_start_in_production_without_its_key_and_says_what_to_do(tmp_path):
    with pytest.raises(KeyProblem) as refused:
        _production(tmp_path)

    assert "flask --app wsgi keys new" in str(refused.value)
    assert "apart from the database" in str(refused.value)


def test_a_key_file_that_is_not_a_key_is_refused_with_its_reason(tmp_path):
    (tmp_path / "data.keys").write_text("k1:not-a-key\n")

    with pytest.raises(KeyProblem, match="entry 1 is not a data key"):
        _production(tmp_path)


def _flask(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """``flask --app wsgi ARGS`` as an operator runs it on a production server."""
    env = {
        **os.environ,
        "REINTEGRATION_INSTANCE": str(tmp_path),
        "SECRET_KEY": "production-secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
    }
    for name in ("REINTEGRATION_ENV", "DATA_KEYS", "DATA_KEY_FILE"):
        env.pop(name, None)
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    return subprocess.run(  # noqa: S603  (the venv's own flask)
        [flask, "--app", "wsgi", *args], capture_output=True, text=True, env=env, cwd=ROOT
    )


def test_keys_new_makes_a_key_file_only_its_owner_reads_and_never_replaces_it(tmp_path):
    made = _flask(tmp_path, "keys", "new")

    path = tmp_path / "data.keys"
    assert made.returncode == 0, made.stderr
    assert "Keep a copy of this file apart from the database" in made.stdout
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    ring = parse(path.read_text(), str(path))
    assert ring.ids == ("k1",)
    again = _flask(tmp_path, "keys", "new")
    assert again.returncode != 0
    assert "keys rotate" in again.stderr
    assert parse(path.read_text(), str(path)) == ring
    # With its key the database is made, and the key opens it.
    assert "not at the schema" in _flask(tmp_path, "keys", "check").stderr
    assert _flask(tmp_path, "db", "upgrade").returncode == 0
    checked = _flask(tmp_path, "keys", "check")
    assert checked.returncode == 0, checked.stderr
    assert "open this database; k1 encrypts" in checked.stdout


def _invoke(app, args: list[str]):
    """The command on ``app`` (in its own context: the suite's app is the current one)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=args)


def _ids_in(path: str) -> tuple[str, ...]:
    with open(path) as handle:
        return parse(handle.read(), path).ids


def _key_file(tmp_path, *keys) -> str:
    path = str(tmp_path / "data.keys")
    write_key_file(path, keys)
    return path


def _add_cases(app) -> list[int]:
    from reintegration.auth.models import Role
    from reintegration.auth.services import create_user
    from reintegration.cases.models import Sex
    from reintegration.cases.services import create_case
    from reintegration.reference.models import IdentificationStatus, Province

    with app.app_context():
        admin = create_user("keeper", "correct horse battery", Role.ADMIN)
        province = db.session.scalar(select(Province).where(Province.code == "NA"))
        ids = []
        for number, name in enumerate(NAMES):
            case = Case(
                full_name=name,
                phone=f"0912 000 11{number}",
                trafficking_notes=f"ghi chú {number}",
                sex=Sex.FEMALE,
                received_on=__import__("datetime").date(2026, 3, 1),
                identification_status=IdentificationStatus.IDENTIFIED,
            )
            ids.append(create_case(case, province, admin).id)
        db.session.commit()
        return ids


def _stored_key_ids(app) -> set[str]:
    with app.app_context():
        values = db.session.scalars(
            text("SELECT full_name FROM cases UNION ALL SELECT trafficking_notes FROM cases")
        ).all()
        tokens = db.session.scalars(select(SearchToken.key_id).distinct()).all()
        return {value.partition(":")[0] for value in values} | {f"token {k}" for k in tokens}


def test_the_database_refuses_another_installation_s_key(tmp_path_factory, tmp_path):
    first = new_key()
    with app_on_own_database(
        tmp_path_factory, "keys_other", DATA_KEY_FILE=_key_file(tmp_path, first)
    ) as app:
        url = app.config["DATABASE_URL"]
        with own_sessions():
            _add_cases(app)
            for other in (new_key(), new_key(("k1",))):  # same id, another secret; another id
                (tmp_path / "other").mkdir(exist_ok=True)
                path = _key_file(tmp_path / "other", other)
                with pytest.raises(KeyProblem) as refused:
                    create_app({**SETTINGS, "DATABASE_URL": url, "DATA_KEY_FILE": path})
                assert "k1" in str(refused.value)
                assert "nothing was changed" in str(refused.value) or "does not hold" in str(
                    refused.value
                )


def test_a_rotation_encrypts_everything_again_and_the_search_still_works(
    tmp_path_factory, tmp_path
):
    path = _key_file(tmp_path, new_key())
    with (
        app_on_own_database(tmp_path_factory, "keys_rotate", DATA_KEY_FILE=path) as app,
        own_sessions(),
    ):
        ids = _add_cases(app)
        assert _stored_key_ids(app) == {"k1", "token k1"}

        rotated = _invoke(app, ["keys", "rotate", "--settle", "0"])

        assert rotated.exit_code == 0, rotated.output
        # The old key stays, opening only: backups made before the rotation need it.
        assert "stay in" in rotated.output
        assert "backups made before" in rotated.output
        assert _ids_in(path) == ("k2", "k1")
        assert _stored_key_ids(app) == {"k2", "token k2"}
        with app.app_context():
            assert [db.session.get(Case, i).full_name for i in ids] == NAMES
            found = db.session.scalars(select(Case.id).where(matching("dao nguyen"))).all()
            assert found == [ids[0]]
            records = {r.id: r.retired_at for r in db.session.scalars(select(DataKeyRecord))}
            assert set(records) == {"k1", "k2"}
            assert records["k1"] is not None
            assert records["k2"] is None
        # Nothing is under k1 any more: the app starts with the new key alone.
        with open(path) as handle:
            newest = parse(handle.read(), path).current
        alone = _key_file(tmp_path / "alone", newest)
        create_app({**SETTINGS, "DATABASE_URL": app.config["DATABASE_URL"], "DATA_KEY_FILE": alone})
        # A later rotation makes a third key, and keeps the two older ones.
        again = _invoke(app, ["keys", "rotate", "--settle", "0"])
        assert again.exit_code == 0, again.output
        assert _ids_in(path) == ("k3", "k2", "k1")
        assert _stored_key_ids(app) == {"k3", "token k3"}


def test_a_rotation_stopped_midway_leaves_everything_readable_and_resumes(
    tmp_path_factory, tmp_path, monkeypatch
):
    path = _key_file(tmp_path, new_key())
    with (
        app_on_own_database(tmp_path_factory, "keys_resume", DATA_KEY_FILE=path) as app,
        own_sessions(),
    ):
        ids = _add_cases(app)
        real = rotation._rotate_column
        calls = []

        def dies_on_the_second_column(*args, **kwargs):
            calls.append(args)
            if len(calls) == 2:
                raise KeyboardInterrupt  # the operator's Ctrl-C, or a killed process
            return real(*args, **kwargs)

        monkeypatch.setattr(rotation, "_rotate_column", dies_on_the_second_column)
        stopped = _invoke(app, ["keys", "rotate", "--settle", "0"])
        assert stopped.exit_code != 0
        # Half under k2, half under k1, both keys in the file: every value opens.
        assert _ids_in(path) == ("k2", "k1")
        assert {"k1", "k2"} <= _stored_key_ids(app)
        with app.app_context():
            app.extensions["data_keys"].reload()
            assert [db.session.get(Case, i).full_name for i in ids] == NAMES

        monkeypatch.setattr(rotation, "_rotate_column", real)
        resumed = _invoke(app, ["keys", "rotate", "--settle", "0"])

        assert resumed.exit_code == 0, resumed.output
        assert "Resuming the rotation to k2" in resumed.output
        assert _ids_in(path) == ("k2", "k1")
        assert _stored_key_ids(app) == {"k2", "token k2"}
        checked = _invoke(app, ["keys", "check"])
        assert checked.exit_code == 0
        assert "open this database" in checked.output


def test_an_app_started_while_the_database_was_down_checks_its_key_at_the_first_request(
    tmp_path_factory, tmp_path, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    from reintegration.keys import check

    path = _key_file(tmp_path, new_key())
    with (
        app_on_own_database(tmp_path_factory, "keys_down", DATA_KEY_FILE=path) as app,
        own_sessions(),
    ):
        _add_cases(app)
        url = app.config["DATABASE_URL"]
        real = check.inspect

        def down(_engine):
            raise OperationalError("SELECT 1", {}, Exception("the server is restarting"))

        monkeypatch.setattr(check, "inspect", down)
        wrong = _key_file(tmp_path / "wrong", new_key())  # k1 again, another secret
        started = create_app({**SETTINGS, "DATABASE_URL": url, "DATA_KEY_FILE": wrong})
        monkeypatch.setattr(check, "inspect", real)

        with started.app_context():
            answer = started.test_client().get("/login")
        assert answer.status_code == 503
        with started.app_context():  # nothing was written under the wrong key
            assert _stored_key_ids(started) == {"k1", "token k1"}

        right = create_app({**SETTINGS, "DATABASE_URL": url, "DATA_KEY_FILE": path})
        monkeypatch.setattr(check, "inspect", down)
        later = create_app({**SETTINGS, "DATABASE_URL": url, "DATA_KEY_FILE": path})
        monkeypatch.setattr(check, "inspect", real)
        with later.app_context():
            assert later.test_client().get("/login").status_code == 200
        assert right is not None
