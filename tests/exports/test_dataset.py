"""The anonymised dataset: coarse fields only, no combination rarer than k, safe files."""

import csv
import io
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from reintegration.auth.models import Role, User
from reintegration.cases.models import Case, Sex
from reintegration.exports import dataset
from reintegration.exports.dataset import (
    FIELDS,
    GENERALISATION,
    SUPPRESSED,
    UNKNOWN,
    SuppressionReport,
    age_band,
    records,
    suppress,
    write_csv,
    write_xlsx,
)
from reintegration.extensions import db
from reintegration.reference.models import ListItem, ListKind

RECEIVED = date(2026, 3, 12)

# Two profiles many cases share, as a province's register would hold them.
BRIDE = dict(
    sex=Sex.FEMALE,
    date_of_birth=date(2004, 1, 10),
    received_on=RECEIVED,
    citizenship="VN",
    country="CN",
    forms=["MARRIAGE"],
    means=["THREATS", "DOCUMENTS"],
    recruitment="MARRIAGE_OFFER",
)
WORKER = dict(
    sex=Sex.MALE,
    date_of_birth=date(1990, 6, 1),
    received_on=date(2025, 6, 1),
    citizenship="VN",
    country="KH",
    forms=["LABOUR"],
    means=["DEBT"],
    recruitment="JOB_OFFER",
)
BRIDE_RECORD = {
    "sex": "female",
    "age_band": "21–23",
    "citizenship": "VN",
    "year": 2026,
    "exploitation_country": "CN",
    "exploitation_forms": "MARRIAGE",
    "control_means": "DOCUMENTS;THREATS",
    "recruitment": "MARRIAGE_OFFER",
}
WORKER_RECORD = {
    "sex": "male",
    "age_band": "30–38",
    "citizenship": "VN",
    "year": 2025,
    "exploitation_country": "KH",
    "exploitation_forms": "LABOUR",
    "control_means": "DEBT",
    "recruitment": "JOB_OFFER",
}
ENGLISH_HEADERS = [
    "Sex",
    "Age band when received",
    "Citizenship",
    "Year received",
    "Country of exploitation",
    "Forms of exploitation",
    "Means of control",
    "How the person was recruited",
]


@dataclass
class Register:
    officer: User
    cases: list[Case]


def _case(make, profile: dict, number: int, **changes) -> Case:
    fields = {**profile, **changes}
    return make.case(
        full_name=f"Lò Thị Sinh {number:03d}",
        phone=f"0912{number:06d}",
        home_address=f"Bản Pha {number}, xã Mường Lống",
        sex=fields["sex"],
        date_of_birth=fields["date_of_birth"],
        received_on=fields["received_on"],
        consent_date=fields["received_on"],
        citizenship=make.item(ListKind.COUNTRY, fields["citizenship"]),
        exploitation_country=make.item(ListKind.COUNTRY, fields["country"]),
        exploitation_forms=[make.item(ListKind.EXPLOITATION, code) for code in fields["forms"]],
        control_means=[make.item(ListKind.CONTROL, code) for code in fields["means"]],
        recruitment=make.item(ListKind.RECRUITMENT, fields["recruitment"]),
    )


@pytest.fixture
def register(make) -> Register:
    """61 cases of Nghe An: two common profiles, eleven brides recruited in rarer ways, and six
    records no generalisation can hide (a rare country, a rare form, a 50-year-old)."""
    plan = (
        [(BRIDE, {})] * 24
        + [(WORKER, {})] * 20
        + [(BRIDE, {"recruitment": "SOCIAL_NETWORK"})] * 5
        + [(BRIDE, {"recruitment": "ACQUAINTANCE"})] * 3
        + [(BRIDE, {"recruitment": "RELATIVE"})] * 3
        + [(BRIDE, {"country": "MY"})] * 3
        + [(WORKER, {"forms": ["ORGANS"]})] * 2
        + [(BRIDE, {"date_of_birth": date(1975, 5, 1)})]
    )
    cases = [
        _case(make, profile, number, **changes) for number, (profile, changes) in enumerate(plan)
    ]
    return Register(make.user(Role.PROVINCIAL_OFFICER, province="NA"), cases)


def _combinations(rows: list[dict]) -> Counter:
    return Counter(tuple(sorted(row.items())) for row in rows)


def _count(rows: list[dict], expected: dict) -> int:
    return sum(1 for row in rows if row == expected)


def _xlsx(rows: list[dict], language: str) -> list[tuple]:
    stream = io.BytesIO()
    write_xlsx(rows, stream, language)
    stream.seek(0)
    return list(load_workbook(stream).active.iter_rows(values_only=True))


def _csv(rows: list[dict], language: str) -> str:
    stream = io.StringIO(newline="")
    write_csv(rows, stream, language)
    return stream.getvalue()


def _published(k: int, app, monkeypatch, register: Register):
    monkeypatch.setitem(app.config, "DATASET_K", k)
    return suppress(records(register.officer))


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, "0–8"),
        (8, "0–8"),
        (9, "9–17"),
        (17, "9–17"),
        (18, "18–20"),
        (20, "18–20"),
        (21, "21–23"),
        (23, "21–23"),
        (24, "24–26"),
        (26, "24–26"),
        (27, "27–29"),
        (29, "27–29"),
        (30, "30–38"),
        (38, "30–38"),
        (39, "39–47"),
        (47, "39–47"),
        (48, "48+"),
        (90, "48+"),
        (None, "unknown"),
        (-1, "unknown"),
    ],
)
def test_age_bands_are_those_of_the_ctdc(age, band):
    assert age_band(age) == band


def test_records_hold_only_the_coarse_fields(register):
    rows = list(records(register.officer))

    assert len(rows) == 61
    assert all(tuple(row) == FIELDS for row in rows)
    assert _count(rows, BRIDE_RECORD) == 24
    assert _count(rows, WORKER_RECORD) == 20


def test_the_age_band_is_the_age_when_received_not_today(make):
    officer = make.user(Role.PROVINCIAL_OFFICER, province="NA")
    received = date(2020, 6, 1)
    make.case(received_on=received, consent_date=received, date_of_birth=date(2003, 1, 1))
    make.case(
        received_on=received, consent_date=received, date_of_birth=None, estimated_birth_year=1990
    )
    make.case(received_on=received, consent_date=received, date_of_birth=None)

    rows = list(records(officer))

    assert sorted(row["age_band"] for row in rows) == ["30–38", "9–17", "unknown"]
    assert {row["year"] for row in rows} == {2020}


def test_a_case_without_profile_is_recorded_as_unknown(make):
    officer = make.user(Role.PROVINCIAL_OFFICER, province="NA")
    make.case()

    (row,) = records(officer)

    for field in ("citizenship", "exploitation_country", "exploitation_forms", "recruitment"):
        assert row[field] == "unknown"


def test_records_keep_to_the_years_asked(register):
    assert len(list(records(register.officer, year_from=2026))) == 39
    assert len(list(records(register.officer, year_to=2025))) == 22
    assert list(records(register.officer, year_from=2024, year_to=2024)) == []


def test_the_years_asked_include_their_first_and_last_days(make):
    officer = make.user(Role.PROVINCIAL_OFFICER, province="NA")
    for received in (date(2025, 1, 1), date(2025, 12, 31), date(2026, 1, 1)):
        make.case(received_on=received, consent_date=received)

    rows = list(records(officer, year_from=2025, year_to=2025))

    assert [row["year"] for row in rows] == [2025, 2025]


def test_records_read_the_cases_in_a_fixed_number_of_queries(register, count_queries):
    db.session.expire_all()
    assert register.officer.scope_province_id is not None

    with count_queries() as counter:
        rows = list(records(register.officer))

    assert len(rows) == 61
    # The batch, its forms and its means, then the empty batch that ends the reading.
    assert counter.count == 4


def test_records_come_in_batches_of_a_fixed_number_of_queries(register, count_queries, monkeypatch):
    monkeypatch.setattr(dataset, "BATCH_SIZE", 25)
    db.session.expire_all()
    assert register.officer.scope_province_id is not None

    with count_queries() as counter:
        rows = list(records(register.officer))

    assert len(rows) == 61
    assert _count(rows, BRIDE_RECORD) == 24
    assert counter.count == 3 * 3 + 1


def test_a_user_of_another_province_gets_none_of_the_cases(register, make):
    make.case(province="HT", date_of_birth=date(1999, 9, 9))
    ha_tinh = make.user(Role.PROVINCIAL_OFFICER, province="HT")

    (row,) = records(ha_tinh)

    assert row["age_band"] == "24–26"
    assert len(list(records(register.officer))) == 61


def test_a_trainer_gets_no_record(register, make):
    assert list(records(make.user(Role.TRAINER))) == []


def test_the_default_k_is_eleven(app, monkeypatch):
    monkeypatch.delitem(app.config, "DATASET_K", raising=False)

    assert dataset.dataset_k() == 11


@pytest.mark.parametrize("k", [11, 5])
def test_no_published_combination_is_rarer_than_k(app, monkeypatch, register, k):
    published, report = _published(k, app, monkeypatch, register)

    assert published
    assert min(_combinations(published).values()) >= k
    assert report.k == k
    assert report.published == len(published)
    assert report.published + report.dropped == 61


def test_common_records_stay_intact_and_rare_ones_are_generalised_or_dropped(
    app, monkeypatch, register
):
    published, report = _published(11, app, monkeypatch, register)

    assert report == SuppressionReport(k=11, intact=44, generalised=11, dropped=6)
    assert _count(published, BRIDE_RECORD) == 24
    assert _count(published, WORKER_RECORD) == 20
    assert _count(published, {**BRIDE_RECORD, "recruitment": SUPPRESSED}) == 11
    values = {value for row in published for value in row.values()}
    assert not values & {"MY", "ORGANS", "48+", "SOCIAL_NETWORK", "ACQUAINTANCE", "RELATIVE"}


def test_a_smaller_k_from_the_settings_publishes_more_intact(app, monkeypatch, register):
    published, report = _published(5, app, monkeypatch, register)

    assert report == SuppressionReport(k=5, intact=49, generalised=6, dropped=6)
    assert _count(published, {**BRIDE_RECORD, "recruitment": "SOCIAL_NETWORK"}) == 5
    assert _count(published, {**BRIDE_RECORD, "recruitment": SUPPRESSED}) == 6


def test_rare_records_lose_the_least_important_fields_first():
    child = {**BRIDE_RECORD, "exploitation_forms": "SEXUAL", "control_means": "DEBT"}
    young = {**child, "age_band": "0–8", "recruitment": "BROKER"}
    older = {**child, "age_band": "9–17", "recruitment": "RELATIVE"}
    lone = {**WORKER_RECORD, "year": 2021}

    published, report = suppress([young, young, older, older, lone], k=4)

    # Only sex, year and a broader age band were left when the four children met.
    expected = {**dict.fromkeys(FIELDS, SUPPRESSED), "sex": "female", "age_band": "0–17"}
    assert published == [{**expected, "year": 2026}] * 4
    assert report == SuppressionReport(k=4, intact=0, generalised=4, dropped=1)


def test_year_is_the_last_field_given_up():
    rows = [{**WORKER_RECORD, "year": year} for year in (2021, 2022, 2023)]

    published, _report = suppress(rows, k=3)

    assert published == [{**dict.fromkeys(FIELDS, SUPPRESSED), "sex": "male"}] * 3


def test_rare_records_of_unknown_age_are_published_with_the_markers_and_written(app):
    unknown_age = {**BRIDE_RECORD, "age_band": UNKNOWN}
    rows = [{**unknown_age, "recruitment": code} for code in ("BROKER", "RELATIVE", "JOB_OFFER")]

    published, report = suppress(rows, k=3)

    assert published == [{**unknown_age, "recruitment": SUPPRESSED}] * 3
    assert report == SuppressionReport(k=3, intact=0, generalised=3, dropped=0)
    sheet = _xlsx(published, "en")
    lines = list(csv.reader(io.StringIO(_csv(published, "en"))))
    for row in (sheet[1], sheet[-1], lines[1], lines[-1]):
        assert (row[0], row[1], row[-1]) == ("Female", "Unknown", "Suppressed")
    assert len(sheet) == len(lines) == 4


@pytest.mark.parametrize("marker", [UNKNOWN, SUPPRESSED])
def test_no_generalisation_step_turns_a_marker_into_anything_but_a_marker(marker):
    # An unknown age stays unknown when the age bands are merged into child and adult: a step
    # that lost the marker would leave the record a value no file can show.
    for _field, step in GENERALISATION:
        assert step(marker) in (marker, SUPPRESSED)


def test_k_below_one_is_refused():
    with pytest.raises(ValueError, match="k must be at least 1"):
        suppress([BRIDE_RECORD], k=0)


def _cells(rows: list[dict]) -> list:
    cells = []
    for language in ("en", "vi"):
        cells += [cell for row in _xlsx(rows, language) for cell in row]
        cells += [cell for row in csv.reader(io.StringIO(_csv(rows, language))) for cell in row]
    return cells


def test_no_direct_identifier_reaches_the_files(app, monkeypatch, register):
    published, _report = _published(11, app, monkeypatch, register)
    identifiers = {"Lò Thị", "Bản Pha", "0912", "NA-20", RECEIVED.strftime("%d/%m")}
    for case in register.cases:
        born = case.date_of_birth
        identifiers |= {case.full_name, case.code, case.phone, case.home_address}
        identifiers |= {born.isoformat(), born.strftime("%d/%m/%Y"), str(born.year)}

    cells = _cells(published)

    assert len(cells) == 2 * 2 * 8 * (len(published) + 1)  # two files, two languages
    assert not any(isinstance(cell, date | datetime) for cell in cells)
    text = "\n".join(str(cell) for cell in cells)
    assert sorted(value for value in identifiers if value in text) == []


def test_the_workbook_has_english_headers_a_frozen_row_and_a_filter(app, monkeypatch, register):
    published, _report = _published(11, app, monkeypatch, register)
    stream = io.BytesIO()

    write_xlsx(published, stream, "en")

    sheet = load_workbook(io.BytesIO(stream.getvalue())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == ENGLISH_HEADERS
    assert len(rows) == 56
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:H56"
    assert (
        "Female",
        "21–23",
        "Vietnam",
        2026,
        "China",
        "Forced marriage",
        "Documents withheld; Threats",
        "Suppressed",
    ) in rows


def test_the_workbook_speaks_vietnamese(app, monkeypatch, register):
    published, _report = _published(11, app, monkeypatch, register)

    rows = _xlsx(published, "vi")

    for header in ("Giới tính", "Quốc tịch", "Quốc gia nơi bị bóc lột", "Hình thức bóc lột"):
        assert header in rows[0]
    assert ("Nam", "30–38", "Việt Nam", 2025, "Campuchia") in [row[:5] for row in rows]


def test_the_csv_starts_with_a_byte_order_mark_and_translated_headers(app, monkeypatch, register):
    published, _report = _published(11, app, monkeypatch, register)

    text = _csv(published, "en")

    assert text.startswith("\ufeffSex,")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == ENGLISH_HEADERS
    assert len(rows) == 56
    male = ["Male", "30–38", "Vietnam", "2025", "Cambodia", "Forced labour", "Debt bondage"]
    assert rows[-1][:7] == male


@pytest.fixture
def hostile_rows():
    """Values an administrator or an imported file could have typed into a reference list."""
    db.session.add(
        ListItem(
            kind=ListKind.RECRUITMENT,
            code="FORMULA",
            name_vi='=HYPERLINK("http://example.com","x")',
            name_en='=HYPERLINK("http://example.com","x")',
        )
    )
    db.session.flush()
    row = {
        **BRIDE_RECORD,
        "exploitation_forms": "+1+2",
        "control_means": "@SUM(1)",
        "exploitation_country": "-3\x07\nCN",
        "recruitment": "FORMULA",
    }
    return [row]


def test_formula_looking_values_are_text_in_the_workbook(hostile_rows):
    stream = io.BytesIO()
    write_xlsx(hostile_rows, stream, "en")

    sheet = load_workbook(io.BytesIO(stream.getvalue())).active
    (cells,) = sheet.iter_rows(min_row=2)

    assert [cell.data_type for cell in cells] == ["s", "s", "s", "n", "s", "s", "s", "s"]
    assert [cell.value for cell in cells[4:]] == [
        "-3 CN",
        "+1+2",
        "@SUM(1)",
        '=HYPERLINK("http://example.com","x")',
    ]


def test_formula_looking_values_are_quoted_in_the_csv(hostile_rows):
    text = _csv(hostile_rows, "en")

    row = list(csv.reader(io.StringIO(text)))[1]

    assert row[4:] == ["'-3 CN", "'+1+2", "'@SUM(1)", '\'=HYPERLINK("http://example.com","x")']
    assert "\x07" not in text


_POOLS = {
    "sex": ["female", "female", "female", "male", "other"],
    "age_band": ["0–8", "9–17", "18–20", "21–23", "24–26", "30–38", "48+", "unknown"],
    "citizenship": ["VN"] * 8 + ["LA", "KH", "unknown"],
    "year": [2021, 2022, 2023, 2024, 2025],
    "exploitation_country": ["CN", "CN", "CN", "KH", "LA", "MM", "MY", "unknown"],
    "exploitation_forms": ["MARRIAGE", "SEXUAL", "LABOUR", "LABOUR;SEXUAL", "ORGANS"],
    "control_means": ["DEBT", "DOCUMENTS;THREATS", "CONFINEMENT", "unknown"],
    "recruitment": ["SOCIAL_NETWORK", "JOB_OFFER", "MARRIAGE_OFFER", "RELATIVE", "BROKER"],
}


def _random_rows(rng: random.Random, count: int) -> list[dict]:
    # A skewed draw, as in real registers: a few profiles are common, most are rare.
    common = [{field: rng.choice(pool) for field, pool in _POOLS.items()} for _ in range(4)]
    rows = []
    for _ in range(count):
        if rng.random() < 0.6:
            rows.append(dict(rng.choice(common)))
        else:
            rows.append({field: rng.choice(pool) for field, pool in _POOLS.items()})
    return rows


@pytest.mark.parametrize("seed", range(12))
def test_random_registers_never_publish_a_combination_rarer_than_k(seed):
    rng = random.Random(seed)
    rows = _random_rows(rng, rng.randint(0, 500))
    k = rng.choice([1, 2, 5, 11, 20])
    fields = FIELDS if seed % 3 else tuple(rng.sample(FIELDS, 4))

    published, report = suppress(rows, fields, k)

    combinations = _combinations(published)
    assert all(count >= k for count in combinations.values())
    assert all(tuple(row) == fields for row in published)
    assert report.published == len(published)
    assert report.published + report.dropped == len(rows)
    recorded = _combinations([{field: row[field] for field in fields} for row in rows])
    for combination, count in recorded.items():
        if count >= k:
            assert combinations[combination] >= count  # a common combination is never touched
    assert suppress(list(reversed(rows)), fields, k) == (published, report)
