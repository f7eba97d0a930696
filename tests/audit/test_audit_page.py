from datetime import date, time

import pytest

from reintegration.auth.models import Role
from reintegration.extensions import db
from tests.auth.conftest import NON_ADMIN_ROLES
from tests.auth.pages import field_errors, table_rows
from tests.conftest import Auth

# Columns of the audit table: when, user, action, record, case, changes, IP address.
USER, ACTION, RECORD, CASE = 1, 2, 3, 4


@pytest.mark.parametrize("role", NON_ADMIN_ROLES, ids=lambda role: role.value)
def test_only_administrators_see_the_audit_log(client, logged_in, role):
    logged_in(role)

    assert client.get("/admin/audit/").status_code == 403


def test_visitor_who_is_not_logged_in_is_sent_to_the_login_page(client, member):
    member(Role.ADMIN)
    db.session.commit()

    assert client.get("/admin/audit/").location.startswith("/login?next=")


class History:
    """Two officers at work on two cases over a week, then the administrator looks."""

    def __init__(self, app, client, member, make, frozen_clock):
        self.case_a = make.case(province="NA")
        self.case_b = make.case(province="NA")
        lan = member(Role.PROVINCIAL_OFFICER, username="lan")
        binh = member(Role.PROVINCIAL_OFFICER, username="binh")
        admin = member(Role.ADMIN, username="root")
        db.session.commit()

        frozen_clock.set(date(2026, 3, 16), time(8, 0))
        self._visit(app, lan, self.case_a)

        frozen_clock.set(date(2026, 3, 18), time(23, 45))
        binh_client = self._visit(app, binh, self.case_b)
        frozen_clock.advance(minutes=20)  # 00:05 on 19 March in Vietnam, 18 March in UTC
        binh_client.post("/logout")

        frozen_clock.set(date(2026, 3, 20), time(9, 0))
        Auth(client).login(admin)
        self.client = client

    @staticmethod
    def _visit(app, user, case):
        visitor = app.test_client()
        Auth(visitor).login(user)
        assert visitor.get(f"/cases/{case.id}").status_code == 200
        return visitor

    def rows(self, **filters) -> list[tuple[str, str, str]]:
        response = self.client.get("/admin/audit/", query_string=filters)
        assert response.status_code == 200
        return [
            (row[USER], row[ACTION], row[CASE])
            for row in table_rows(response.get_data(as_text=True))
        ]


@pytest.fixture
def history(app, client, member, make, frozen_clock) -> History:
    return History(app, client, member, make, frozen_clock)


def test_audit_log_shows_the_newest_entries_first(history):
    rows = history.rows()

    assert rows[:5] == [
        ("root", "Logged in", ""),
        ("binh", "Logged out", ""),
        ("binh", "Viewed", history.case_b.code),
        ("binh", "Logged in", ""),
        ("lan", "Viewed", history.case_a.code),
    ]


def test_audit_log_filtered_by_user(history):
    assert history.rows(username="Lan") == [
        ("lan", "Viewed", history.case_a.code),
        ("lan", "Logged in", ""),
    ]


def test_audit_log_filtered_by_action(history):
    assert history.rows(action="login") == [
        ("root", "Logged in", ""),
        ("binh", "Logged in", ""),
        ("lan", "Logged in", ""),
    ]


def test_audit_log_filtered_by_case_code(history):
    rows = history.rows(case_code=history.case_b.code.lower())

    assert rows == [
        ("binh", "Viewed", history.case_b.code),
        ("", "Created", history.case_b.code),
    ]


def test_audit_log_filtered_by_an_unknown_case_code_shows_nothing(history):
    assert history.rows(case_code="NA-1999-9999") == []


def test_audit_log_filtered_by_kind_of_record(history):
    rows = history.rows(entity="cases")

    assert rows == [
        ("binh", "Viewed", history.case_b.code),
        ("lan", "Viewed", history.case_a.code),
        ("", "Created", history.case_b.code),
        ("", "Created", history.case_a.code),
    ]


def test_audit_log_filtered_by_days_in_vietnam(history):
    rows = history.rows(date_from="17/03/2026", date_to="18/03/2026")

    assert rows == [("binh", "Viewed", history.case_b.code), ("binh", "Logged in", "")]


def test_audit_log_from_a_day_onwards(history):
    rows = history.rows(date_from="2026-03-19")

    assert rows == [("root", "Logged in", ""), ("binh", "Logged out", "")]


def test_audit_log_filters_combine(history):
    rows = history.rows(username="binh", action="view", date_to="2026-03-18")

    assert rows == [("binh", "Viewed", history.case_b.code)]


def test_audit_log_refuses_a_date_it_cannot_read(history):
    response = history.client.get("/admin/audit/", query_string={"date_from": "yesterday"})

    assert field_errors(response.get_data(as_text=True), "date_from") == [
        "Write the date as dd/mm/yyyy."
    ]
    assert table_rows(response.get_data(as_text=True)) == []


def test_audit_log_links_each_case_to_its_page(history):
    page = history.client.get("/admin/audit/", query_string={"action": "view"})

    assert f'href="/cases/{history.case_a.id}">{history.case_a.code}</a>' in page.get_data(
        as_text=True
    )


def test_audit_log_needs_the_same_queries_for_many_entries(history, make, count_queries):
    db.session.commit()
    with count_queries() as few:
        history.rows()
    for _ in range(5):
        make.case(province="NA")
    db.session.commit()

    with count_queries() as many:
        rows = history.rows()

    assert len(rows) > 10
    assert many.count == few.count


def test_changes_are_shown_with_the_form_labels_and_hidden_values_say_so(client, logged_in, make):
    case = make.case(province="NA", receiving_agency="Công an tỉnh")
    db.session.commit()
    case.receiving_agency = "Bộ đội Biên phòng"
    case.full_name = "Lò Thị Yến"
    db.session.commit()
    logged_in(Role.ADMIN)

    page = client.get("/admin/audit/", query_string={"action": "update"}).get_data(as_text=True)

    changes = " ".join(page.split())
    assert "Receiving agency</span>: Công an tỉnh → Bộ đội Biên phòng" in changes
    assert "Full name</span>: <em>changed (value not kept)</em>" in changes
    assert "Lò Thị Yến" not in page
