"""The columns of the import template and the values each list column accepts."""

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l

from ..cases.forms import CONSENT_CHOICES
from ..cases.models import Sex
from ..reference import queries as reference
from ..reference.models import IdentificationStatus, ListKind, Province
from ..text import fold


@dataclass(frozen=True)
class Column:
    """A column of the first sheet.

    Its headers are part of the file format, so they are written here in both languages
    rather than taken from the catalog: a template filled last year must still be read after a
    translation is reworded. Either language is accepted in an uploaded file.
    """

    key: str
    vi: str
    en: str
    # The header must be there; without it no row could be imported.
    required: bool = False
    width: int = 18

    def header(self, language: str | None = None) -> str:
        return self.en if (language or current_language()) == "en" else self.vi


COLUMNS = (
    Column("full_name", "Họ và tên", "Full name", required=True, width=28),
    Column("sex", "Giới tính", "Sex", required=True, width=10),
    Column("date_of_birth", "Ngày sinh", "Date of birth", width=13),
    Column("estimated_birth_year", "Năm sinh ước tính", "Estimated birth year", width=12),
    Column("home_province", "Tỉnh, thành phố nơi cư trú", "Home province", required=True),
    Column("home_commune", "Xã, phường nơi cư trú", "Home commune or ward", width=22),
    Column("return_route", "Hình thức trở về", "How the person returned", required=True),
    Column("receiving_agency", "Cơ quan tiếp nhận", "Receiving agency", required=True, width=28),
    Column("received_on", "Ngày tiếp nhận", "Date received", required=True, width=13),
    Column("exploitation_country", "Quốc gia nơi bị bóc lột", "Country of exploitation"),
    Column("exploitation_forms", "Hình thức bóc lột", "Forms of exploitation", width=28),
    Column(
        "identification_status",
        "Tình trạng xác định nạn nhân",
        "Identification status",
        required=True,
        width=28,
    ),
    Column("consent", "Sự đồng ý", "Consent", required=True, width=10),
    Column("consent_date", "Ngày ghi nhận ý kiến", "Date of consent", required=True, width=13),
    Column("consent_covers", "Phạm vi đồng ý", "What the consent covers", width=28),
    Column("consent_agencies", "Các cơ quan được chia sẻ", "Agencies shared with", width=24),
    Column("admitted_on", "Ngày vào cơ sở", "Date of admission", width=13),
    Column("planned_end", "Dự kiến kết thúc", "Planned end", width=13),
    Column("discharged_on", "Ngày rời cơ sở", "Date of discharge", width=13),
    Column("destination", "Nơi đến", "Destination", width=18),
)

BY_KEY = {column.key: column for column in COLUMNS}
# A row needs one of these; a sheet with neither column cannot give it.
AGE_COLUMNS = ("date_of_birth", "estimated_birth_year")
DATE_COLUMNS = frozenset(
    {"date_of_birth", "received_on", "consent_date", "admitted_on", "planned_end", "discharged_on"}
)
# Forms of exploitation and what the consent covers take several values, separated like this.
SEPARATOR = ";"

# What a consent may cover, with the labels of the intake form.
CONSENT_COVERS = (
    ("storage", _l("Storing the person's data")),
    ("sharing", _l("Sharing with the agencies named below")),
    ("contact", _l("Contact by case workers after going home")),
)


def current_language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "vi"


def in_both_languages(message) -> dict[str, str]:
    """A message as each language says it, so a stored preview can be read in either."""
    texts = {}
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            texts[language] = str(message)
    return texts


AMBIGUOUS = object()


@dataclass
class Choice:
    """One allowed value: what is stored, and how it is written in each language."""

    value: object
    vi: str
    en: str
    code: str = ""
    # Communes: the province the name belongs to.
    group: Province | None = None


@dataclass
class Choices:
    """The values of one list column, found by code or by name in either language, whatever
    the accents and capitals."""

    entries: list[Choice]
    _index: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for entry in self.entries:
            for spelling in (entry.code, entry.vi, entry.en):
                key = fold(spelling)
                if not key:
                    continue
                known = self._index.get(key, entry.value)
                self._index[key] = entry.value if known == entry.value else AMBIGUOUS

    def find(self, text: str):
        """The stored value, None when unknown, AMBIGUOUS when several values are written so."""
        return self._index.get(fold(text))


def _labelled(members) -> Choices:
    entries = []
    for value, label in members:
        names = in_both_languages(label)
        entries.append(Choice(value, names["vi"], names["en"], value))
    return Choices(entries)


def _items(kind: ListKind) -> Choices:
    return Choices(
        [Choice(item.id, item.name_vi, item.name_en, item.code) for item in reference.items(kind)]
    )


@dataclass
class Vocabulary:
    """Every list column's allowed values, read once per file."""

    lists: dict[str, Choices]
    # Communes are looked up within the row's home province.
    communes: dict[int, Choices]

    @classmethod
    def load(cls) -> "Vocabulary":
        provinces = reference.provinces()
        by_province: dict[int, list[Choice]] = {province.id: [] for province in provinces}
        names = {province.id: province for province in provinces}
        for commune in reference.communes():
            if commune.province_id in by_province:
                province = names[commune.province_id]
                by_province[commune.province_id].append(
                    Choice(commune.id, commune.name_vi, commune.name_en, group=province)
                )
        lists = {
            "sex": _labelled([(sex.value, label) for sex, label in Sex.labels().items()]),
            "home_province": Choices(
                [Choice(p.id, p.name_vi, p.name_en, p.code) for p in provinces]
            ),
            "return_route": _items(ListKind.RETURN_ROUTE),
            "exploitation_country": _items(ListKind.COUNTRY),
            "exploitation_forms": _items(ListKind.EXPLOITATION),
            "identification_status": _labelled(
                [(status.value, label) for status, label in IdentificationStatus.labels().items()]
            ),
            "consent": _labelled(CONSENT_CHOICES),
            "consent_covers": _labelled(CONSENT_COVERS),
            "destination": _items(ListKind.DESTINATION),
        }
        communes = {province_id: Choices(entries) for province_id, entries in by_province.items()}
        return cls(lists, communes)

    def all_communes(self) -> list[Choice]:
        return [entry for choices in self.communes.values() for entry in choices.entries]
