"""The workbook's sheets: headers in the reader's language, typed cells, Excel's layout, and
totals that Excel recomputes and that equal what the app shows."""

import re
from datetime import date, datetime

import pytest

from reintegration.allowances import services as allowance_services
from reintegration.allowances.models import PaymentMethod
from reintegration.auth.models import Role
from reintegration.employment.models import ContractType, Placement
from reintegration.extensions import db
from reintegration.training.models import EnrolmentStatus
from tests.employers.helpers import checked_employer
from tests.exports.workbook_helpers import (
    SHEETS_EN,
    build_province,
    computed,
    course,
    download,
    enrolment,
    followup_done,
    headers,
    job,
    payment,
    place_value,
    rows,
    service,
    summary_table,
    totals_row,
    values,
    workbook_of,
)
from tests.helpers import in_english, sign_in, text_of

TABLE_SHEETS = SHEETS_EN[1:]


@pytest.fixture
def province(make, frozen_clock):
    made = build_province(make)
    service(make, made.cases["mai"], date(2026, 2, 2), 1_500_000)
    service(make, made.cases["old"], date(2026, 1, 3), 250_000, code="counselling")
    service(make, made.cases["old"], date(2025, 12, 21), 999_000)  # before the period
    service(make, made.cases["far"], date(2026, 2, 2), 777_000)  # Ha Tinh's
    payment(make, frozen_clock, made.cases["mai"], "HARDSHIP", date(2026, 3, 2), "PC-001")
    db.session.commit()
    return made


def _nghe_an(province):
    return place_value(province.cases["mai"].province)


@pytest.fixture
def officer(client, auth, make, province):
    return sign_in(auth, province.user(make, Role.PROVINCIAL_OFFICER))


@pytest.fixture
def book(client, officer, province):
    in_english(client)
    return workbook_of(download(client, _nghe_an(province)))


def test_the_workbook_has_a_summary_and_a_sheet_per_record_in_english(book):
    assert book.sheetnames == SHEETS_EN
    assert headers(book["Cases"])[:4] == ["Case code", "Sex", "Age at reception", "Age group"]
    assert headers(book["Stays"])[-1] == "Days in the period"
    assert headers(book["Services"])[-1] == "Cost"
    assert headers(book["Allowances"])[1:3] == ["Allowance", "Support type"]
    assert headers(book["Payments"])[-1] == "Amount"
    assert headers(book["Training"])[-1] == "Cost per trainee"
    assert headers(book["Placements"])[1] == "Employer"
    assert headers(book["Follow-ups"])[1:4] == ["Follow-up", "Months after", "Planned"]


def test_a_vietnamese_user_gets_vietnamese_sheets_and_headers(client, officer, province):
    book = workbook_of(download(client, _nghe_an(province)))

    assert book.sheetnames[1] == "Hồ sơ"
    assert book.sheetnames[3:6] == ["Dịch vụ hỗ trợ", "Khoản hỗ trợ", "Các lần chi trả"]
    cases = headers(book["Hồ sơ"])
    assert cases[:2] == ["Mã hồ sơ", "Giới tính"]
    assert {"Ngày tiếp nhận", "Quốc gia nơi bị bóc lột", "Hình thức bóc lột"} <= set(cases)
    assert headers(book["Dịch vụ hỗ trợ"])[-1] == "Chi phí"
    assert {"Nữ", "Nam"} == {row["Giới tính"] for row in values(book["Hồ sơ"])}


def test_dates_are_excel_dates_shown_day_month_year(book):
    [mai] = [row for row in rows(book["Cases"]) if row["Age at reception"].value == 14]

    received = mai["Date received"]
    assert received.is_date
    assert received.value == datetime(2026, 2, 1)
    assert received.number_format == "dd/mm/yyyy"
    [paid] = rows(book["Payments"])
    assert (paid["Paid on"].value, paid["Paid on"].number_format) == (
        datetime(2026, 3, 2),
        "dd/mm/yyyy",
    )


def test_money_is_a_number_shown_in_dong(book):
    costs = [row["Cost"] for row in rows(book["Services"])]

    assert sorted(cell.value for cell in costs) == [250_000, 1_500_000]
    assert {cell.data_type for cell in costs} == {"n"}
    assert {cell.number_format for cell in costs} == {'#,##0" ₫"'}
    [paid] = rows(book["Payments"])
    assert (paid["Amount"].value, paid["Amount"].number_format) == (3_000_000, '#,##0" ₫"')


@pytest.mark.parametrize("title", TABLE_SHEETS)
def test_each_table_has_its_header_frozen_an_autofilter_over_its_rows_and_widths(book, title):
    sheet = book[title]
    count = len(rows(sheet))
    last = chr(ord("A") + len(headers(sheet)) - 1)

    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{last}{count + 1}"
    assert sheet.column_dimensions["A"].width == 14
    assert all(cell.font.b for cell in next(sheet.iter_rows(max_row=1)))


def test_a_sum_row_under_the_costs_covers_every_row_and_adds_up_to_the_costs_in_the_period(book):
    sheet = book["Services"]
    total = totals_row(sheet)[headers(sheet).index("Cost")]

    assert total.value == "=SUM(F2:F3)"
    assert total.number_format == '#,##0" ₫"'
    assert computed(sheet, total) == 1_750_000  # Ha Tinh's and December's are left out


def test_requested_amounts_have_no_total_since_refused_ones_are_no_money_granted(book):
    sheet = book["Allowances"]
    amount = headers(sheet).index("Amount")
    formulas = [
        row[amount].value
        for row in sheet.iter_rows(min_row=2)
        if isinstance(row[amount].value, str) and row[amount].value.startswith("=")
    ]
    assert formulas == []


def test_days_in_the_shelter_count_the_days_within_the_period_and_add_up(book):
    sheet = book["Stays"]
    days = {row["Case code"]: row["Days in the period"] for row in values(sheet)}

    # Admitted 20/12/2025, still there on 15/03/2026: 31 + 28 + 15 days of the period.
    assert days["NA-2025-0001"] == 74
    # Admitted 10/03/2026: 10 to 15 March.
    assert days["NA-2026-0004"] == 6
    total = totals_row(sheet)[headers(sheet).index("Days in the period")]
    assert computed(sheet, total) == sum(days.values())
    assert "HT-2026-0002" not in days  # a Ha Tinh person of Ha Tinh


def test_the_summary_counts_the_people_received_by_sex_age_and_trafficking(book):
    summary = book["Summary"]

    assert summary_table(summary, "People received, by sex") == {
        "Female": 4,
        "Male": 2,
        "Other": 0,
        "Total": 6,
    }
    assert summary_table(summary, "By age group") == {
        "Under 16": 1,
        "16–17": 1,
        "18 and over": 3,
        "Unknown age": 1,
        "Total": 6,
    }
    ctdc = summary_table(summary, "By CTDC age band")
    assert list(ctdc) == [
        "0–8",
        "9–17",
        "18–20",
        "21–23",
        "24–26",
        "27–29",
        "30–38",
        "39–47",
        "48+",
        "Unknown age",
        "Total",
    ]
    assert {band: n for band, n in ctdc.items() if n} == {
        "9–17": 2,
        "21–23": 1,
        "30–38": 1,
        "39–47": 1,
        "Unknown age": 1,
        "Total": 6,
    }


def test_the_summary_counts_exploitation_countries_routes_and_home_provinces(book):
    summary = book["Summary"]

    # Several forms may apply to one person: no total there.
    assert summary_table(summary, "By form of exploitation") == {
        "Sexual exploitation": 2,
        "Forced labour": 2,
        "Forced marriage": 1,
        "Forced criminality (online scams)": 1,
        "Not recorded": 1,
    }
    assert summary_table(summary, "By country of exploitation") == {
        "China": 2,
        "Cambodia": 2,
        "Laos": 1,
        "Not recorded": 1,
        "Total": 6,
    }
    assert summary_table(summary, "By how the person returned") == {
        "Bilateral handover": 3,
        "Rescued": 2,
        "Self-return": 1,
        "Total": 6,
    }
    assert summary_table(summary, "By home province") == {"Nghe An": 5, "Ha Tinh": 1, "Total": 6}


def test_the_summary_says_what_in_the_period_means_for_each_sheet(book):
    notes = " ".join(str(row[0]) for row in book["Summary"].iter_rows(values_only=True) if row)

    for definition in (
        "People received: cases received in the period.",
        "Stays: admitted in the period, or admitted earlier and not discharged before it began.",
        "Services: provided in the period.",
        "Allowances: applied for or decided in the period. Payments: paid in the period",
        "Training: enrolments referred, completed or dropped out in the period.",
        "Placements: jobs started in the period.",
        "Follow-ups: planned for or done in the period.",
    ):
        assert definition in notes


def test_a_shelter_worker_gets_the_cases_of_the_facility(client, auth, make, province):
    sign_in(auth, province.user(make, Role.SHELTER_STAFF))
    in_english(client)

    book = workbook_of(download(client, place_value(province.facilities["here"])))

    assert {row["Case code"] for row in values(book["Cases"])} == {
        province.cases[key].code for key in ("mai", "tung", "hoa", "lan")
    }
    assert summary_table(book["Summary"], "People received, by sex")["Total"] == 4
    assert len(rows(book["Stays"])) == 5  # and the stay of December's case, still running


def _page_amounts(response) -> dict[str, str]:
    section = text_of(response).split('id="by-type"')[1].split("</table>")[0]
    return dict(re.findall(r"<td>([^<]+)</td><td[^>]*>([^<]+)</td>", section))


def _in_dong(amount: int) -> str:
    return f"{amount:,} ₫"


def test_money_paid_per_support_type_equals_the_allowances_page(
    client, officer, make, frozen_clock, province
):
    # A second payment of another type, and a correction: money returned counts too.
    cases = province.cases
    payment(make, frozen_clock, cases["returning"], "HARDSHIP", date(2026, 2, 20), "HT-01")
    clothing = payment(make, frozen_clock, cases["tung"], "CLOTHING", date(2026, 3, 5), "PC-002")
    allowance_services.correct(
        clothing.payments[0],
        -100_000,
        date(2026, 3, 10),
        PaymentMethod.CASH,
        "PC-003",
        "Trả lại tiền thừa",
        make.user(Role.SHELTER_STAFF, facility=cases["tung"].facility),
    )
    db.session.commit()
    in_english(client)

    page = client.get("/allowances/?year=2026")
    book = workbook_of(download(client, _nghe_an(province), start="01/01/2026", end="31/12/2026"))

    shown = _page_amounts(page)
    summary = summary_table(book["Summary"], "Money paid by support type")
    assert {label: _in_dong(amount) for label, amount in summary.items()} == {
        **shown,
        "Total": text_of(page).split('id="total-paid">')[1].split("<")[0],
    }
    payments = book["Payments"]
    paid = computed(payments, totals_row(payments)[headers(payments).index("Amount")])
    assert paid == summary["Total"] == 3_000_000 * 2 + clothing.amount - 100_000


def test_training_placements_and_follow_ups_are_counted_in_the_period(
    client, officer, make, frozen_clock, province
):
    cases = province.cases
    taught = course(make)
    enrolment(
        cases["mai"],
        taught,
        date(2026, 1, 20),
        status=EnrolmentStatus.COMPLETED,
        enrolled_on=date(2026, 1, 21),
        completed_on=date(2026, 3, 1),
    )
    enrolment(
        cases["old"],
        taught,
        date(2025, 12, 28),
        status=EnrolmentStatus.COMPLETED,
        enrolled_on=date(2026, 1, 5),
        completed_on=date(2026, 3, 2),
    )
    enrolment(
        cases["tung"],
        taught,
        date(2026, 3, 2),
        status=EnrolmentStatus.DROPPED_OUT,
        dropped_out_on=date(2026, 3, 9),
        dropout_reason="Về quê",
    )
    placed = job(make, cases["old"], date(2026, 1, 5))
    followup_done(make, placed, date(2026, 2, 6), signs=["DEBT"])
    db.session.commit()
    in_english(client)

    book = workbook_of(download(client, _nghe_an(province)))

    assert summary_table(book["Summary"], "Training") == {
        "Referred": 2,
        "Completed": 2,
        "Dropped out": 1,
    }
    training = book["Training"]
    assert len(rows(training)) == 3
    assert computed(training, totals_row(training)[-1]) == 3 * 4_000_000
    assert summary_table(book["Summary"], "Placements")["Started in the period"] == 1
    # Planned at 1, 3, 6 and 12 months after the start: only the first falls in the period.
    assert summary_table(book["Summary"], "Follow-ups") == {
        "Planned in the period": 1,
        "Done in the period": 1,
        "Contact made": 1,
        "Risk signs found": 1,
    }
    [followup] = values(book["Follow-ups"])
    assert (followup["Months after"], followup["Risk signs"]) == (1, "Debt")


def test_retention_counts_the_jobs_that_reached_each_mark_and_were_still_held(
    client, officer, make, province
):
    employer = checked_employer(make)
    for start_on, end_on in (
        (date(2025, 6, 1), date(2025, 10, 15)),  # after its 3-month mark, before the 6-month
        (date(2024, 11, 1), None),  # before the period
        (date(2026, 1, 5), None),  # no mark reached yet
    ):
        db.session.add(
            Placement(
                case_id=province.cases["old"].id,
                employer_id=employer.id,
                position="Thợ phụ",
                start_on=start_on,
                end_on=end_on,
                monthly_wage=5_000_000,
                in_home_province=False,
                contract_type=ContractType.FIXED_TERM,
            )
        )
    db.session.commit()
    in_english(client)

    book = workbook_of(download(client, _nghe_an(province), start="01/01/2025", end="15/03/2026"))

    shares = {
        row[0]: row[1:4]
        for row in book["Summary"].iter_rows(values_only=True)
        if row and str(row[0]).endswith("months after the start")
    }
    assert shares["3 months after the start"][:2] == (1, 1)
    assert shares["6 months after the start"][:2] == (1, 0)
    assert shares["12 months after the start"][:2] == (0, 0)
    assert re.fullmatch(r'=IF\(B(\d+)=0,"",C\1/B\1\)', shares["3 months after the start"][2])
    placements = summary_table(book["Summary"], "Placements")
    assert placements["Started in the period"] == 2
    assert placements["Outside the person's home province"] == 2


def test_an_empty_period_still_makes_a_workbook_with_zero_totals(client, officer, province):
    in_english(client)

    book = workbook_of(download(client, _nghe_an(province), start="01/01/2020", end="31/01/2020"))

    assert book.sheetnames == SHEETS_EN
    assert rows(book["Services"]) == []
    assert totals_row(book["Services"])[-1].value == 0
    assert summary_table(book["Summary"], "People received, by sex")["Total"] == 0
    assert summary_table(book["Summary"], "Money paid by support type") == {
        "Nothing in the period.": None
    }
