"""Helpers shared by the tests of every domain: pages, counts and a scoped world."""

import html
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select

from reintegration.auth.models import Role, User
from reintegration.cases.models import Case
from reintegration.extensions import db
from reintegration.shelter.models import Facility, Stay

_ERROR = re.compile(r'<div class="invalid-feedback[^"]*">(.*?)</div>', re.S)
_FIELD_BLOCK = '<div class="mb-3'


def count(model) -> int:
    """How many rows of ``model`` are stored now."""
    return db.session.scalar(select(func.count()).select_from(model))


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_errors(response, name: str) -> list[str]:
    """The messages shown beside the form field ``name`` (in its own block of the form)."""
    page = response.get_data(as_text=True)
    start = page.find(f'name="{name}"')
    assert start >= 0, f"no field {name!r} on the page"
    end = page.find(_FIELD_BLOCK, start)
    block = page[start : end if end >= 0 else len(page)]
    return [html.unescape(message).strip() for message in _ERROR.findall(block)]


def form_errors(response) -> list[str]:
    """Messages above the form (alerts), not tied to one field."""
    page = response.get_data(as_text=True)
    alerts = re.findall(
        r'<div class="alert alert-(?:danger|warning)" role="alert">(.*?)</div>', page, re.S
    )
    return [html.unescape(re.sub(r"<[^>]+>", " ", alert)).strip() for alert in alerts]


def section(response, start_marker: str, end_marker: str) -> str:
    """The part of a page between two markers."""
    page = text_of(response)
    start = page.index(start_marker)
    return page[start : page.index(end_marker, start)]


def reload(instance):
    """Read ``instance`` again as a request left it."""
    db.session.expire_all()
    return db.session.get(type(instance), instance.id)


def in_english(client) -> None:
    """Switch the logged-in user's pages to English."""
    response = client.post("/language", data={"language": "en"})
    assert response.status_code == 302


@dataclass
class World:
    """Two provinces, three facilities and four people in the shelter (or only received).

    - ``here``: at facility ``here`` in Nghe An, from Nghe An;
    - ``neighbour``: at another Nghe An facility, from Nghe An;
    - ``returning_home``: at a Ha Tinh facility, from Nghe An (home province is Nghe An);
    - ``far``: at the Ha Tinh facility, from Ha Tinh.
    """

    facilities: dict[str, Facility]
    cases: dict[str, Case]
    stays: dict[str, Stay] = field(default_factory=dict)

    def user(self, make, role: Role) -> User:
        """A user of ``role`` whose facility or province is Nghe An's ``here``."""
        if role == Role.SHELTER_STAFF:
            return make.user(role, facility=self.facilities["here"])
        if role in (Role.PROVINCIAL_OFFICER, Role.CASE_WORKER):
            return make.user(role, province="NA")
        return make.user(role)


CASE_NAMES = {
    "here": "Lò Thị Hằng",
    "neighbour": "Vi Thị Nhung",
    "returning_home": "Lương Văn Tùng",
    "far": "Hà Thị Xuân",
}

# Which of the world's cases each role (made by World.user) may see.
VISIBLE_CASES = {
    Role.ADMIN: {"here", "neighbour", "returning_home", "far"},
    Role.SHELTER_STAFF: {"here"},
    Role.PROVINCIAL_OFFICER: {"here", "neighbour", "returning_home"},
    Role.CASE_WORKER: {"here", "neighbour", "returning_home"},
    Role.TRAINER: set(),
}

VISIBLE_FACILITIES = {
    Role.ADMIN: {"here", "neighbour", "far"},
    Role.SHELTER_STAFF: {"here"},
    Role.PROVINCIAL_OFFICER: {"here", "neighbour"},
    Role.CASE_WORKER: {"here", "neighbour"},
    Role.TRAINER: set(),
}


def build_world(make, in_shelter: bool = True) -> World:
    """The World, committed; its people admitted to their facilities unless not ``in_shelter``
    (then each is only received there, with no stay)."""
    facilities = {
        "here": make.facility("NA", name="Trung tâm Công tác xã hội Nghệ An"),
        "neighbour": make.facility("NA", name="Ngôi nhà Bình yên Vinh"),
        "far": make.facility("HT", name="Trung tâm Công tác xã hội Hà Tĩnh"),
    }
    homes = {"here": "NA", "neighbour": "NA", "returning_home": "NA", "far": "HT"}
    places = {"here": "here", "neighbour": "neighbour", "returning_home": "far", "far": "far"}
    cases = {
        key: make.case(facilities[places[key]], full_name=CASE_NAMES[key], home_province=homes[key])
        for key in CASE_NAMES
    }
    stays = {key: make.stay(case) for key, case in cases.items()} if in_shelter else {}
    db.session.commit()
    return World(facilities, cases, stays)


def row_of(response, code: str) -> str:
    """The table row (``<tr ...>...</tr>``) of the case ``code``."""
    page = response.get_data(as_text=True)
    end = page.index(f">{code}</a>")
    start = page.rindex("<tr", 0, end)
    return page[start : page.index("</tr>", end)]


def sign_in(auth, user: User) -> User:
    """``user`` signed in, as after the login (``Auth.begin_session``)."""
    auth.begin_session(user)
    return user
