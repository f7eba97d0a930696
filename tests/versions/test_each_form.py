"""Every edit form of a record others may edit: read twice, saved by the first reader, the
second reader's older form changes nothing and shows what the first changed; sent again from
the page it came back on (now carrying the current version), it saves.

Each case arranges the record, says what each reader types and how the stored value is read.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from reintegration.allowances import services as allowances
from reintegration.allowances.models import Allowance
from reintegration.auth.models import Role, User
from reintegration.cases.models import Case
from reintegration.employers.models import Employer
from reintegration.extensions import db
from reintegration.followups.models import FollowUp, Indicator
from reintegration.plans import services as plans
from reintegration.plans.models import Goal, Plan
from reintegration.reference.models import ListKind
from reintegration.reminders.models import ReminderRule
from reintegration.shelter.models import Facility, Stay
from reintegration.support.models import AllowanceKind, AllowanceRule
from reintegration.training.models import Course
from tests.conftest import TODAY, Auth
from tests.employers.helpers import employer as make_employer
from tests.followups.conftest import discharge_home, planned_followups
from tests.helpers import in_english, sign_in, text_of
from tests.submissions.helpers import ALREADY_SAVED, filled, form_on
from tests.training.helpers import course as make_course
from tests.versions.helpers import conflict_box


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


@dataclass
class World:
    facility: Facility
    case: Case
    stay: Stay
    admin: User


@dataclass
class Edit:
    page: str  # where the form is read and sent
    first: dict  # what the first reader types
    second: dict  # what the second reader types, on the form read before the first saved
    stored: Callable[[], object]  # the stored value both change
    shown: str  # how the conflict box shows the first reader's change
    first_page: str = ""  # the first reader's form, when another form of the same record


def _stored(model, record_id: int, column: str) -> Callable[[], object]:
    def read():
        db.session.expire_all()
        return getattr(db.session.get(model, record_id), column)

    return read


# --- one arrangement per form ------------------------------------------------------------------


def extension(make, w: World) -> Edit:
    end = w.stay.planned_end
    reason = {"reason": "Chờ giấy tờ", "approved_by": "Giám đốc Trung tâm"}
    return Edit(
        f"/stays/{w.stay.id}/extend",
        {"new_end": _day(end + timedelta(days=20)), **reason},
        {"new_end": _day(end + timedelta(days=30)), **reason},
        _stored(Stay, w.stay.id, "planned_end"),
        f"New planned end : {_day(end)} → {_day(end + timedelta(days=20))}",
    )


def discharge_plan(make, w: World) -> Edit:
    home = str(make.item(ListKind.DESTINATION, "HOME").id)
    return Edit(
        f"/stays/{w.stay.id}/discharge-plan",
        {"discharge_planned_on": _day(TODAY + timedelta(days=10)), "planned_destination": home},
        {"discharge_planned_on": _day(TODAY + timedelta(days=12)), "planned_destination": home},
        _stored(Stay, w.stay.id, "discharge_planned_on"),
        f"Planned date of discharge : — → {_day(TODAY + timedelta(days=10))}",
    )


def discharge(make, w: World) -> Edit:
    """The first reader plans the discharge; the second discharges on a form read before."""
    home = str(make.item(ListKind.DESTINATION, "HOME").id)
    return Edit(
        f"/stays/{w.stay.id}/discharge",
        {"discharge_planned_on": _day(TODAY + timedelta(days=10)), "planned_destination": home},
        {"discharged_on": _day(TODAY), "destination": home, "destination_address": "Xóm 3"},
        _stored(Stay, w.stay.id, "discharged_on"),
        f"Planned date of discharge : — → {_day(TODAY + timedelta(days=10))}",
        first_page=f"/stays/{w.stay.id}/discharge-plan",
    )


def plan(make, w: World) -> Edit:
    made = plans.save_plan(w.case, None, TODAY, "Lập cùng chị", w.admin)
    db.session.commit()
    return Edit(
        f"/cases/{w.case.id}/plan",
        {"note": "Gia đình đồng ý"},
        {"note": "Chị muốn học nghề"},
        _stored(Plan, made.id, "note"),
        # An encrypted note: the log keeps no value of it, so the box says it changed.
        "Note : changed (value not kept)",
    )


def goal(make, w: World) -> Edit:
    made = plans.save_plan(w.case, None, TODAY, "", w.admin)
    target = TODAY + timedelta(days=90)
    aim = plans.save_goal(made, None, "economic", "Học nghề", "Cán bộ xã", target, "planned")
    db.session.commit()
    return Edit(
        f"/cases/{w.case.id}/plan/goals/{aim.id}",
        {"description": "Học nghề làm bánh"},
        {"description": "Học nghề may"},
        _stored(Goal, aim.id, "description"),
        "Goal : changed (value not kept)",
    )


def course(make, w: World) -> Edit:
    trainer = make.user(Role.TRAINER, province="NA")
    made = make_course(make, trainer, "NA", title="Chăm sóc sắc đẹp")
    db.session.commit()
    return Edit(
        f"/courses/{made.id}/edit",
        {"capacity": "12"},
        {"capacity": "15"},
        _stored(Course, made.id, "capacity"),
        "10 → 12",
    )


def employer(make, w: World) -> Edit:
    made = make_employer(make, name="Công ty Sen Vàng", address="Khu công nghiệp Nam Cấm")
    db.session.commit()
    return Edit(
        f"/employers/{made.id}/edit",
        {"address": "Khu công nghiệp VSIP"},
        {"address": "Khu công nghiệp Bắc Vinh"},
        _stored(Employer, made.id, "address"),
        "Khu công nghiệp Nam Cấm → Khu công nghiệp VSIP",
    )


def facility(make, w: World) -> Edit:
    return Edit(
        f"/admin/facilities/{w.facility.id}/edit",
        {"capacity": "25"},
        {"capacity": "30"},
        _stored(Facility, w.facility.id, "capacity"),
        "Capacity (beds) : 20 → 25",
    )


def user(make, w: World) -> Edit:
    worker = make.user(Role.CASE_WORKER, province="NA", full_name="Hồ Thị Lan")
    db.session.commit()
    return Edit(
        f"/admin/users/{worker.id}",
        {"full_name": "Hồ Thị Lan Anh"},
        {"full_name": "Hồ Thị Lan Chi"},
        _stored(User, worker.id, "full_name"),
        "Hồ Thị Lan → Hồ Thị Lan Anh",
    )


def _hardship() -> AllowanceKind:
    return db.session.scalar(select(AllowanceKind).where(AllowanceKind.code == "HARDSHIP"))


def allowance_kind(make, w: World) -> Edit:
    kind = _hardship()
    return Edit(
        f"/admin/policy/kinds/{kind.id}",
        {"name_en": "Initial hardship allowance (2026)"},
        {"name_en": "Hardship allowance"},
        _stored(AllowanceKind, kind.id, "name_en"),
        "→ Initial hardship allowance (2026)",
    )


def allowance_rule(make, w: World) -> Edit:
    rule = db.session.scalar(
        select(AllowanceRule).where(AllowanceRule.kind_id == _hardship().id).limit(1)
    )
    return Edit(
        f"/admin/policy/rules/{rule.id}",
        {"max_times": "2"},
        {"max_times": "3"},
        _stored(AllowanceRule, rule.id, "max_times"),
        "At most this many times for one person :",
    )


def reminder_rule(make, w: World) -> Edit:
    rule = db.session.scalar(select(ReminderRule).where(ReminderRule.code == "stay_ending"))
    return Edit(
        f"/admin/reminders/{rule.id}",
        {"repeat_days": "5"},
        {"repeat_days": "9"},
        _stored(ReminderRule, rule.id, "repeat_days"),
        "7 → 5",
    )


def indicator(make, w: World) -> Edit:
    network = db.session.scalar(select(Indicator).where(Indicator.code == "NETWORK"))
    return Edit(
        f"/admin/indicators/{network.id}",
        {"name_en": "Has family support"},
        {"name_en": "Has a support network"},
        _stored(Indicator, network.id, "name_en"),
        "→ Has family support",
    )


EDITS = [
    extension,
    discharge_plan,
    discharge,
    plan,
    goal,
    course,
    employer,
    facility,
    user,
    allowance_kind,
    allowance_rule,
    reminder_rule,
    indicator,
]


@pytest.fixture
def one_stay(make, auth, client) -> World:
    """One facility, one person in its stay, and an administrator signed in, in English."""
    place = make.facility("NA", name="Trung tâm Công tác xã hội Nghệ An")
    case = make.case(place, received_on=TODAY - timedelta(days=5))
    stay = make.stay(case, admitted_on=TODAY - timedelta(days=5))
    admin = make.user(Role.ADMIN, full_name="Quản trị Viên")
    sign_in(auth, admin)
    in_english(client)
    return World(place, case, stay, admin)


@pytest.mark.parametrize("arrange", EDITS, ids=[edit.__name__ for edit in EDITS])
def test_an_older_form_changes_nothing_shows_the_change_and_saves_when_sent_again(
    client, make, one_stay, arrange
):
    edit = arrange(make, one_stay)
    first = filled(client, edit.first_page or edit.page, "version", **edit.first)
    second = filled(client, edit.page, "version", **edit.second)
    assert client.post(edit.first_page or edit.page, data=first).status_code == 302
    kept = edit.stored()

    refused = client.post(edit.page, data=second)

    assert refused.status_code == 200
    box = conflict_box(refused)
    assert "Quản trị Viên" in box
    assert edit.shown in box
    assert edit.stored() == kept
    again = form_on(refused, "version")
    # The second reader's values are still in the form.
    assert {name: again[name][0].strip() for name in edit.second} == edit.second

    assert client.post(edit.page, data=again).status_code == 302
    assert edit.stored() != kept


@pytest.mark.parametrize("arrange", [facility, plan], ids=["facility", "plan"])
def test_a_form_sent_without_a_version_is_saved_as_before(client, make, one_stay, arrange):
    edit = arrange(make, one_stay)
    older_page = filled(client, edit.page, "version", **edit.second)
    older_page.pop("version")
    client.post(edit.page, data=filled(client, edit.page, "version", **edit.first))

    assert client.post(edit.page, data=older_page).status_code == 302
    assert str(edit.stored()) in str(edit.second.values())


def test_an_unreadable_version_saves_nothing_and_the_form_comes_back_current(
    client, make, one_stay
):
    edit = facility(make, one_stay)
    sent = filled(client, edit.page, "version", **edit.second)
    kept = edit.stored()

    refused = client.post(edit.page, data={**sent, "version": "1e9999"})

    assert refused.status_code == 200
    assert edit.stored() == kept
    assert form_on(refused, "version")["version"] == [str(one_stay.facility.version)]


# --- forms whose second sending meets a rule, not a conflict ----------------------------------


@pytest.fixture
def officers(make, app, one_stay):
    """Two provincial officers who decide allowances, each in a browser of their own."""
    browsers = []
    for name in ("Đặng Văn Hùng", "Võ Thị Hoa"):
        browser = app.test_client()
        sign_in(Auth(browser), make.user(Role.PROVINCIAL_OFFICER, province="NA", full_name=name))
        in_english(browser)
        browsers.append(browser)
    return browsers


def test_a_decision_on_an_older_page_changes_nothing_and_shows_the_first_decision(
    officers, one_stay
):
    made = allowances.request_allowance(
        one_stay.case, _hardship(), TODAY, None, TODAY, "Mẫu 07", one_stay.admin
    )
    db.session.commit()
    page = f"/allowances/{made.id}"
    first, second = officers
    approve = filled(first, page, "version", decision="approve")
    refuse = filled(second, page, "version", decision="refuse", reason="Thiếu giấy tờ")
    assert first.post(f"{page}/decision", data=approve).status_code == 302

    refused = second.post(f"{page}/decision", data=refuse)

    assert refused.status_code == 200
    box = conflict_box(refused)
    assert "Đặng Văn Hùng" in box
    assert "Status : Requested → Approved" in box
    db.session.expire_all()
    assert db.session.get(Allowance, made.id).decided_by.full_name == "Đặng Văn Hùng"
    # Decided: the page no longer offers a decision, only shows what happened.
    assert f'action="{page}/decision"' not in refused.get_data(as_text=True)


def test_a_decision_clicked_twice_is_answered_as_saved_not_as_a_colleagues_change(
    officers, one_stay
):
    made = allowances.request_allowance(
        one_stay.case, _hardship(), TODAY, None, TODAY, "Mẫu 07", one_stay.admin
    )
    db.session.commit()
    page = f"/allowances/{made.id}"
    officer = officers[0]
    approve = filled(officer, page, "version", decision="approve")
    assert officer.post(f"{page}/decision", data=approve).status_code == 302

    again = officer.post(f"{page}/decision", data=approve, follow_redirects=True)

    assert ALREADY_SAVED in text_of(again)
    assert "Someone else saved" not in text_of(again)


def test_a_follow_up_recorded_meanwhile_is_shown_to_the_second_recorder(client, make, one_stay):
    discharge_home(make, one_stay.stay, by=one_stay.admin)
    db.session.commit()
    planned = planned_followups(one_stay.case)[0]
    page = f"/followups/{planned.id}/record"
    found = {"done_on": _day(TODAY), "method": "phone", "contact_made": "yes"}
    first = filled(client, page, "version", **found, still_in_job="na")
    second = filled(client, page, "version", **found, still_in_job="no")
    assert client.post(page, data=first).status_code == 302

    refused = client.post(page, data=second)

    assert refused.status_code == 200
    assert "Quản trị Viên" in conflict_box(refused)
    db.session.expire_all()
    assert db.session.get(FollowUp, planned.id).still_in_job is None
