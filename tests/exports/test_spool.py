"""A spool keeps bytes on disk sealed with a key of its own, in a file without a name in the
app's folder: what it gives back is what it was given, and anything altered is refused."""

import os

import pytest

from reintegration import scratch
from reintegration.exports import spool
from reintegration.exports.spool import Broken, Spool, in_parts
from tests.exports.clear_text import every_file, open_files

NAME = "Lò Thị Mai, bán sang Trung Quốc".encode()


@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setattr(spool, "CHUNK", 100)
    return tmp_path


def _disk(spooled: Spool) -> bytes:
    """What the spool's file holds, as a copy of the disk would."""
    (path, _name), *_ = open_files([scratch.folder()])
    with open(path, "rb") as handle:
        return handle.read()


@pytest.mark.parametrize("size", [0, 1, 99, 100, 101, 1000, 12345])
def test_a_spool_gives_back_what_it_was_given(folder, size):
    data = (NAME * (size // len(NAME) + 1))[:size]
    with Spool() as spooled:
        for start in range(0, size, 37):
            spooled.write(data[start : start + 37])

        assert spooled.size == size
        assert b"".join(spooled.chunks()) == data
        assert b"".join(spooled.chunks()) == data  # read again
        assert b"".join(in_parts(spooled, 250)) == data
        assert all(len(part) == 250 for part in list(in_parts(spooled, 250))[:-1])


def test_what_is_on_disk_is_sealed_and_has_no_name(folder):
    with Spool() as spooled:
        for _ in range(50):
            spooled.write(NAME)
        spooled.write(b"<row>" * 100)
        list(spooled.chunks())

        on_disk = _disk(spooled)
        assert len(on_disk) > 50 * len(NAME)
        assert NAME not in on_disk
        assert b"<row>" not in on_disk
        assert every_file([folder]) == []  # no name in the folder: nothing left if killed

    assert open_files([folder]) == []  # closed: the file went with its key


def test_two_spools_of_the_same_bytes_seal_them_differently(folder):
    with Spool() as one, Spool() as other:
        for spooled in (one, other):
            spooled.write(NAME * 10)
            list(spooled.chunks())
        first, second = (path for path, _name in open_files([scratch.folder()]))
        with open(first, "rb") as a, open(second, "rb") as b:
            assert a.read() != b.read()


def _altered(spooled: Spool, at: int) -> None:
    (path, _name), *_ = open_files([scratch.folder()])
    with open(path, "r+b") as handle:
        handle.seek(at)
        byte = handle.read(1)
        handle.seek(at)
        handle.write(bytes([byte[0] ^ 1]))


def test_an_altered_chunk_is_refused(folder):
    with Spool() as spooled:
        spooled.write(NAME * 20)
        list(spooled.chunks())
        _altered(spooled, 150)

        with pytest.raises(Broken):
            list(spooled.chunks())


def test_a_spool_cut_short_is_refused(folder):
    with Spool() as spooled:
        spooled.write(NAME * 20)
        list(spooled.chunks())
        (path, _name), *_ = open_files([scratch.folder()])
        whole = os.path.getsize(path)
        os.truncate(path, whole - (whole // 3))

        with pytest.raises(Broken):
            list(spooled.chunks())


def test_a_spool_read_takes_no_more_and_a_closed_one_gives_nothing(folder):
    spooled = Spool()
    spooled.write(NAME)
    list(spooled.chunks())
    with pytest.raises(ValueError, match="no more"):
        spooled.write(NAME)
    spooled.close()
    with pytest.raises(ValueError, match="closed"):
        list(spooled.chunks())
