"""The Vietnamese catalog is complete and compiled, and every page speaks the reader's language.

When a test here fails after a change to the source, update the catalog with the commands in
CONTRIBUTING.md, "Add a string".
"""

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages import frontend
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from reintegration.auth.models import Role
from reintegration.extensions import db
from reintegration.shelter import services as shelter

from .conftest import TODAY

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "reintegration" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
CONFIG = ROOT / "reintegration" / "babel.cfg"
# The keywords of the extract command (CONTRIBUTING.md): -k _l -k lazy_gettext -k lazy_ngettext:1,2.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


def _extracted() -> dict[tuple[str | None, str], str | tuple]:
    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with CONFIG.open() as handle:
        method_map, options_map = parse(handle, str(CONFIG))
    found = {}
    for _filename, _line, msgid, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        single = msgid[0] if isinstance(msgid, tuple) else msgid
        found[(context, single)] = msgid
    return found


def _read_po(path: Path):
    with path.open("rb") as handle:
        return read_po(handle, locale="vi" if path.suffix == ".po" else None)


@pytest.fixture(scope="module")
def extracted():
    return _extracted()


@pytest.fixture(scope="module")
def catalog():
    return _read_po(PO)


def _text(value):
    """read_mo() leaves a context as bytes."""
    return value.decode() if isinstance(value, bytes) else value


def _translations(message) -> tuple[str, ...]:
    return tuple(message.string) if message.pluralizable else (message.string,)


def _forms(message) -> tuple[str, ...]:
    return tuple(message.id) if message.pluralizable else (message.id,)


# Completeness of the catalog


def test_the_source_has_messages_to_translate(extracted):
    assert len(extracted) > 250
    assert (None, "Cases") in extracted
    assert (None, "This field is required.") in extracted  # WTForms, through forms.py


def test_every_message_of_the_source_has_a_vietnamese_translation(extracted, catalog):
    assert catalog.locale.language == "vi"
    assert catalog.num_plurals == 1
    problems = []
    for (context, msgid), forms in sorted(extracted.items(), key=lambda item: item[0][1]):
        message = catalog.get(msgid, context)
        if message is None:
            problems.append(f"missing: {msgid!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        elif not all(text.strip() for text in _translations(message)):
            problems.append(f"untranslated: {msgid!r}")
        elif isinstance(forms, tuple) and tuple(message.id) != forms[:2]:
            problems.append(f"plural differs: {msgid!r}")
    assert not problems, "\n".join(problems)


def test_the_template_is_extracted_from_the_current_source(extracted):
    template = _read_po(TEMPLATE)
    ids = {(message.context, _forms(message)[0]) for message in template if message.id}
    assert ids == set(extracted), "re-extract messages.pot (CONTRIBUTING.md, Add a string)"


def test_the_compiled_catalog_matches_the_po_file(catalog):
    with MO.open("rb") as handle:
        compiled = read_mo(handle)
    expected = {
        (message.context, _forms(message)[0]): _translations(message)
        for message in catalog
        if message.id and not message.fuzzy
    }
    actual = {
        (_text(message.context), _forms(message)[0]): _translations(message)
        for message in compiled
        if message.id
    }
    assert actual == expected, "compile the catalog again (CONTRIBUTING.md, Add a string)"


def test_every_placeholder_of_a_message_is_in_its_translation(catalog):
    problems = []
    for message in catalog:
        if not message.id:
            continue
        wanted = sorted(set().union(*(PLACEHOLDER.findall(form) for form in _forms(message))))
        for text in _translations(message):
            if sorted(set(PLACEHOLDER.findall(text))) != wanted:
                problems.append(f"{message.id!r}: {text!r}")
            # Templates format every translation, so a lone % would break the page.
            elif "%" in PLACEHOLDER.sub("", text):
                problems.append(f"stray %: {text!r}")
    assert not problems, "\n".join(problems)


# Pages in both languages


class _Text(HTMLParser):
    """The text nodes and readable attributes of a page, each stripped."""

    ATTRIBUTES = frozenset({"placeholder", "title", "aria-label", "alt"})

    def __init__(self):
        super().__init__()
        self.texts: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in self.ATTRIBUTES and value:
                self.texts.add(value.strip())

    def handle_data(self, data):
        if data.strip():
            self.texts.add(data.strip())


def _texts(html: str) -> set[str]:
    parser = _Text()
    parser.feed(html)
    return parser.texts


PAGES = ("/", "/cases/", "/cases/new", "/facilities/", "/admin/users/", "/admin/audit/")


@pytest.fixture
def pages(client, make, auth):
    """An administrator logged in, and the paths of every page to look at."""
    admin = make.user(Role.ADMIN, full_name="Trần Văn Quản")
    facility = make.facility()
    case = make.case(facility=facility, by=admin)
    make.stay(case, by=admin)
    shelter.record_service(
        case,
        make.service_kind("needs_assessment"),
        TODAY - timedelta(days=2),
        "Trung tâm Công tác xã hội",
        "",
        1_500_000,
        admin,
    )
    db.session.commit()
    assert auth.login(admin).status_code == 302
    return {"paths": [*PAGES, f"/cases/{case.id}"], "case": case}


def _switch_to_english(client) -> None:
    response = client.post("/language", data={"language": "en", "next": "/"})
    assert response.status_code == 302


def _get(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _english_left_in(html: str, catalog) -> set[str]:
    """Source strings shown as they are, though the catalog translates them."""
    english = {
        message.id
        for message in catalog
        if message.id
        and not message.pluralizable
        and not PLACEHOLDER.search(message.id)
        and message.string != message.id
    }
    return _texts(html) & english


def _vietnamese_in(html: str, catalog) -> set[str]:
    vietnamese = {
        message.string
        for message in catalog
        if message.id
        and not message.pluralizable
        and not PLACEHOLDER.search(message.id)
        and message.string != message.id
    }
    return _texts(html) & vietnamese


def test_pages_are_in_vietnamese_by_default_and_in_english_on_request(client, pages, catalog):
    for path in pages["paths"]:
        html = _get(client, path)
        assert 'lang="vi"' in html, path
        assert ">Hồ sơ</a>" in html, path
        assert "Nhật ký truy cập và thay đổi" in html, path
        assert not _english_left_in(html, catalog), path

    _switch_to_english(client)

    for path in pages["paths"]:
        html = _get(client, path)
        assert 'lang="en"' in html, path
        assert ">Cases</a>" in html, path
        assert "Audit log" in html, path
        assert not _vietnamese_in(html, catalog), path


@pytest.mark.parametrize(
    ("path", "vietnamese", "english"),
    [
        ("/", "Xin chào, Trần Văn Quản", "Hello, Trần Văn Quản"),
        ("/cases/", "1 hồ sơ", "1 case"),
        ("/cases/new", "Thông tin về việc bị mua bán", "Trafficking profile"),
        ("/facilities/", "60 ngày", "60 days"),
        ("/admin/users/", "Đăng nhập lần cuối", "Last login"),
        ("/admin/audit/", "Tất cả thao tác", "All actions"),
    ],
)
def test_each_page_shows_its_own_words(client, pages, path, vietnamese, english):
    assert vietnamese in _get(client, path)
    _switch_to_english(client)
    assert english in _get(client, path)


def test_wtforms_messages_come_from_the_catalog(client, pages):
    html = client.post("/cases/new", data={}).get_data(as_text=True)
    assert "Thông tin này là bắt buộc." in html
    assert "This field is required." not in html
    _switch_to_english(client)
    html = client.post("/cases/new", data={}).get_data(as_text=True)
    assert "This field is required." in html


def test_money_and_dates_are_written_the_vietnamese_way_in_both_languages(client, pages):
    case_page = f"/cases/{pages['case'].id}"
    received = (TODAY - timedelta(days=3)).strftime("%d/%m/%Y")
    assert received == "12/03/2026"

    html = _get(client, case_page)
    assert "1.500.000 ₫" in html
    assert "1,500,000" not in html
    assert received in html
    assert "13/03/2026" in html  # the service
    assert "15/03/2026 09:00" in _get(client, "/admin/audit/")

    _switch_to_english(client)
    html = _get(client, case_page)
    assert "1,500,000 ₫" in html
    assert "1.500.000" not in html
    assert received in html
    assert "13/03/2026" in html
    assert "2026-03-12" not in html
    assert "15/03/2026 09:00" in _get(client, "/admin/audit/")
