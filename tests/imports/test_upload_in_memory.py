"""An uploaded spreadsheet names people: it is kept in memory, never spooled to a temporary
file in clear (werkzeug writes an upload of more than 500 KB to the system's temporary
folder), and a file larger than an import may be is refused wherever it is sent."""

import io

import pytest
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge


def _upload(size: int) -> dict:
    return {"spreadsheet": (io.BytesIO(b"x" * size), "people.xlsx")}


def test_an_uploaded_spreadsheet_stays_in_memory(app):
    with app.test_request_context("/imports/", method="POST", data=_upload(900_000)):
        stream = request.files["spreadsheet"].stream

        assert isinstance(stream, io.BytesIO)
        assert len(stream.getvalue()) == 900_000


def test_a_file_larger_than_an_import_is_refused_before_it_is_kept(app):
    too_big = app.config["IMPORT_MAX_BYTES"] + 128 * 1024

    with (
        app.test_request_context("/cases/", method="POST", data=_upload(too_big)),
        pytest.raises(RequestEntityTooLarge),
    ):
        request.files["spreadsheet"]  # reading the form is what refuses it
