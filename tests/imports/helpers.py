"""Workbooks written the way a shelter fills the template, and reading the preview page."""

import html
import io
import re
from datetime import date, timedelta

from openpyxl import Workbook

from reintegration.imports.columns import COLUMNS

EN = [column.en for column in COLUMNS]
VI = [column.vi for column in COLUMNS]


def person(number: int, **overrides) -> dict:
    """Row ``number`` of an old spreadsheet, by English header: fixed, distinct values.

    One person in three has no stay, the others were discharged; dates come as Excel dates or
    as text dd/mm/yyyy, as they do in real files.
    """
    received = date(2025, 1, 1) + timedelta(days=number)
    born = date(1985 + number % 20, 1 + number % 12, 1 + number % 28)
    row = {
        "Full name": f"Nguyễn Thị Thử {number:03d}",
        "Sex": "Nữ" if number % 5 else "Male",
        "Date of birth": born if number % 2 else born.strftime("%d/%m/%Y"),
        "Home province": "Nghệ An" if number % 3 else "HT",
        "How the person returned": ["Bilateral handover", "Được giải cứu", "SELF"][number % 3],
        "Receiving agency": "Đồn Biên phòng cửa khẩu Nậm Cắn",
        "Date received": received,
        "Country of exploitation": "Trung Quốc" if number % 2 else "Cambodia",
        "Forms of exploitation": "Forced labour; Bóc lột tình dục" if number % 4 else "LABOUR",
        "Identification status": "Identified victim",
        "Consent": "Given" if number % 7 else "Đồng ý",
        "Date of consent": received.strftime("%d/%m/%Y"),
        "What the consent covers": "storage; contact",
    }
    if number % 3:
        row["Date of admission"] = received + timedelta(days=1)
        row["Date of discharge"] = received + timedelta(days=40)
        row["Destination"] = "Home with family" if number % 2 else "Về gia đình"
    row.update(overrides)
    return {key: value for key, value in row.items() if value is not None}


def workbook(rows: list[dict], headers: list[str] | None = None, setup=None) -> bytes:
    """An .xlsx whose first sheet has ``headers`` (the template's, in English) and ``rows``."""
    headers = headers or EN
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(header) for header in headers])
    if setup is not None:
        setup(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def people(count: int, **changes: dict) -> list[dict]:
    """``count`` people; ``changes`` maps "row<N>" (the spreadsheet's row number) to overrides."""
    rows = [person(number) for number in range(1, count + 1)]
    for name, overrides in changes.items():
        rows[int(name.removeprefix("row")) - 2].update(overrides)
    return rows


def upload(client, data: bytes, facility, name: str = "old cases.xlsx"):
    return client.post(
        "/imports/",
        data={"facility": str(facility.id), "spreadsheet": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def token_of(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.location.rsplit("/", 1)[1]


def problems(response) -> list[tuple[str, str, str]]:
    """The preview's problem table: (row, column, message) per line."""
    page = response.get_data(as_text=True)
    table = re.search(r'<table[^>]*id="problems".*?<tbody>(.*?)</tbody>', page, re.S)
    if table is None:
        return []
    lines = []
    for line in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        cells = re.findall(r"<td>(.*?)</td>", line, re.S)
        lines.append(tuple(html.unescape(re.sub(r"\s+", " ", cell)).strip() for cell in cells))
    return lines


def file_error(response) -> str:
    """The message beside the file field of the upload page."""
    page = response.get_data(as_text=True)
    start = page.index('name="spreadsheet"')
    messages = re.findall(r'<div class="invalid-feedback[^"]*">(.*?)</div>', page[start:], re.S)
    assert messages, "no message beside the file field"
    return html.unescape(messages[0]).strip()


def words(response) -> str:
    """The page's text without its tags, single-spaced."""
    page = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(page).split()).replace(" :", ":").replace(" .", ".")
