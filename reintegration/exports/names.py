"""The small tables the workbook's rows point to (places, list items, support types), read once,
and what each id or value is shown as."""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..reference.models import Commune, ListItem, Province, ServiceKind, SupportType
from ..shelter.models import Facility
from ..support.models import AllowanceKind
from ..types import LabelledEnum


@dataclass
class Reference:
    """The small tables the rows point to, read once; each names itself in the reader's
    language when written."""

    provinces: dict[int, Province]
    items: dict[int, ListItem]
    facilities: dict[int, Facility]
    support_types: dict[int, SupportType]
    service_kinds: dict[int, ServiceKind]
    allowance_kinds: dict[int, AllowanceKind]
    communes: dict[int, Commune]

    # What each id, list or value is shown as, found once: a workbook is written in one
    # language, and translating a label costs more than writing its cell.
    _shown: dict = field(default_factory=dict, init=False, repr=False)

    def name(self, table: str, key: int | None) -> str:
        if key is None:
            return ""
        try:
            return self._shown[table, key]
        except KeyError:
            found = getattr(self, table).get(key)
            shown = self._shown[table, key] = found.name if found is not None else ""
            return shown

    def names(self, ids: str | None) -> list[ListItem]:
        """The list items of a comma-separated list of ids, in the list's order."""
        found = [self.items[int(key)] for key in (ids or "").split(",") if key]
        return sorted(found, key=lambda item: (item.sort_order, item.id))

    def joined(self, ids: str | None) -> str:
        """The names of the list items of ``names``, one after the other."""
        try:
            return self._shown["joined", ids]
        except KeyError:
            shown = ", ".join(item.name for item in self.names(ids))
            self._shown["joined", ids] = shown
            return shown

    def support_type(self, type_id: int | None) -> str:
        try:
            return self._shown["support_type", type_id]
        except KeyError:
            found = self.support_types.get(type_id) if type_id is not None else None
            shown = found.title if found is not None else ""
            self._shown["support_type", type_id] = shown
            return shown

    def label(self, value: LabelledEnum | bool | None) -> str:
        """The translated label of a status or kind, or Yes or No."""
        if value is None:
            return ""
        key = (type(value), value)
        try:
            return self._shown[key]
        except KeyError:
            shown = (_("Yes") if value else _("No")) if isinstance(value, bool) else value.label
            self._shown[key] = shown
            return shown


def _by_id(model, where=None) -> dict:
    query = select(model) if where is None else select(model).where(where)
    return {row.id: row for row in db.session.scalars(query)}


def reference(names: bool) -> Reference:
    return Reference(
        provinces=_by_id(Province),
        items=_by_id(ListItem),
        facilities=_by_id(Facility),
        support_types=_by_id(SupportType),
        service_kinds=_by_id(ServiceKind),
        allowance_kinds=_by_id(AllowanceKind),
        # Thousands of rows, and only needed beside a name.
        communes=_by_id(Commune) if names else {},
    )
