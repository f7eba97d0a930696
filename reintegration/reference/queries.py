"""Reading the reference lists for forms and pages."""

from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from .models import (
    Commune,
    Entitlement,
    IdentificationStatus,
    ListItem,
    ListKind,
    Province,
    SupportType,
)

NONE_CHOICE = ("", "—")


def provinces() -> Sequence[Province]:
    return db.session.scalars(
        select(Province).where(Province.active.is_(True)).order_by(Province.sort_order)
    ).all()


def province_choices(blank: bool = True) -> list[tuple]:
    choices = [(p.id, p.name) for p in provinces()]
    return [NONE_CHOICE, *choices] if blank else choices


def province_by_code(code: str) -> Province | None:
    return db.session.scalar(select(Province).where(Province.code == code.upper()))


def communes() -> Sequence[Commune]:
    return db.session.scalars(
        select(Commune).where(Commune.active.is_(True)).order_by(Commune.name_vi)
    ).all()


def items(kind: ListKind) -> Sequence[ListItem]:
    return db.session.scalars(
        select(ListItem)
        .where(ListItem.kind == kind, ListItem.active.is_(True))
        .order_by(ListItem.sort_order, ListItem.name_vi)
    ).all()


def item_choices(kind: ListKind, blank: bool = True) -> list[tuple]:
    choices = [(item.id, item.name) for item in items(kind)]
    return [NONE_CHOICE, *choices] if blank else choices


def support_types(with_kinds: bool = True) -> Sequence[SupportType]:
    """The support types in order; with their service kinds unless ``with_kinds`` is false."""
    query = select(SupportType).order_by(SupportType.sort_order)
    if with_kinds:
        query = query.options(selectinload(SupportType.kinds))
    return db.session.scalars(query).all()


def service_kind_choices() -> dict:
    """Service kinds grouped under their support type, as WTForms optgroups."""
    return {
        support_type.title: [(kind.id, kind.name) for kind in support_type.kinds if kind.active]
        for support_type in support_types()
    }


def entitled_type_ids(status: IdentificationStatus) -> set[int]:
    return set(
        db.session.scalars(select(Entitlement.support_type_id).where(Entitlement.status == status))
    )


def entitlement_table() -> dict[IdentificationStatus, set[int]]:
    table: dict[IdentificationStatus, set[int]] = {status: set() for status in IdentificationStatus}
    for status, type_id in db.session.execute(
        select(Entitlement.status, Entitlement.support_type_id)
    ):
        table[status].add(type_id)
    return table


def describe_missing(kind: ListKind) -> str:
    return _("The list “%(list)s” is empty: an administrator fills it.", list=kind.label)
