"""What is sealed for the database opens only with the app's key, for its purpose and record."""

import pytest

from reintegration import sealing

NAME = "Lò Thị Mai".encode()


def test_a_sealed_value_opens_to_what_was_sealed_and_holds_nothing_in_clear(app):
    sealed = sealing.seal(NAME * 50, "import preview", "token/1")

    assert NAME not in sealed
    assert sealing.unseal(sealed, "import preview", "token/1") == NAME * 50
    assert sealed != sealing.seal(NAME * 50, "import preview", "token/1")  # a nonce each time


@pytest.mark.parametrize(
    ("purpose", "bound_to"), [("export workbook", "token/1"), ("import preview", "token/2")]
)
def test_a_sealed_value_does_not_open_for_another_purpose_or_record(app, purpose, bound_to):
    sealed = sealing.seal(NAME, "import preview", "token/1")

    with pytest.raises(sealing.Unreadable):
        sealing.unseal(sealed, purpose, bound_to)


def test_a_value_sealed_with_another_secret_key_or_altered_does_not_open(app, monkeypatch):
    sealed = sealing.seal(NAME, "import preview", "token/1")
    altered = sealed[:-1] + bytes([sealed[-1] ^ 1])

    with pytest.raises(sealing.Unreadable):
        sealing.unseal(altered, "import preview", "token/1")
    monkeypatch.setitem(app.config, "SECRET_KEY", "another secret")
    with pytest.raises(sealing.Unreadable):
        sealing.unseal(sealed, "import preview", "token/1")
    with pytest.raises(sealing.Unreadable):
        sealing.unseal(b"", "import preview", "token/1")
