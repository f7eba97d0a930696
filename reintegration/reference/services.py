"""Changes administrators make to the lists and places."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..errors import DomainError
from ..extensions import db
from .models import Commune, ListItem, ListKind, Province, SupportType


def add_item(kind: ListKind, code: str, name_vi: str, name_en: str) -> ListItem:
    code = code.strip().upper()
    taken = db.session.scalar(
        select(ListItem.id).where(ListItem.kind == kind, ListItem.code == code)
    )
    if taken is not None:
        raise DomainError(_l("This list already has an entry with this code."), "code")
    last = db.session.scalar(select(func.max(ListItem.sort_order)).where(ListItem.kind == kind))
    item = ListItem(
        kind=kind,
        code=code,
        name_vi=name_vi.strip(),
        name_en=name_en.strip(),
        sort_order=(last or 0) + 1,
    )
    db.session.add(item)
    return item


def require_entitlement(case, support_type: SupportType | None, field: str) -> None:
    """Refuse, naming the law, a support type the person's identification status is not
    entitled to (Law 53/2024, Article 37)."""
    from .queries import entitled_type_ids

    if support_type is None or support_type.id not in entitled_type_ids(case.identification_status):
        raise DomainError(
            _l(
                "A person with the status “%(status)s” is not entitled to %(type)s "
                "(Law 53/2024, Article 37).",
                status=case.identification_status.label,
                type=support_type.title if support_type else "i",
            ),
            field,
        )


def add_communes(province: Province, names_vi: list[str], names_en: list[str]) -> int:
    """Add the communes not yet listed; returns how many were added."""
    names_vi = [name.strip() for name in names_vi if name.strip()]
    names_en = [name.strip() for name in names_en if name.strip()]
    if names_en and len(names_en) != len(names_vi):
        raise DomainError(_l("Give one English name per commune, or none at all."), "english")
    existing = set(
        db.session.scalars(select(Commune.name_vi).where(Commune.province_id == province.id))
    )
    added = 0
    for index, name in enumerate(names_vi):
        if name in existing:
            continue
        if len(name) > 100:
            raise DomainError(_l("A name is longer than 100 characters."), "names")
        english = names_en[index] if names_en else name
        db.session.add(Commune(province=province, name_vi=name, name_en=english))
        existing.add(name)
        added += 1
    return added
