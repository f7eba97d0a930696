from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..access import Role
from ..extensions import Model
from ..reference.models import Province
from ..types import UTCDateTime, Versioned, created_at_column, enum_type

if TYPE_CHECKING:
    from ..shelter.models import Facility


class User(UserMixin, Versioned, Model):
    __tablename__ = "users"
    __audited__ = True
    __audit_hidden__ = frozenset({"password_hash"})
    # Login bookkeeping: logins and failures have audit entries of their own.
    __audit_skip__ = frozenset({"last_login_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    # A daily email of the user's reminders, when an email address is set.
    wants_digest: Mapped[bool] = mapped_column(default=False)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"), index=True)
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"), index=True)
    language: Mapped[str] = mapped_column(String(5), default="vi")
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password reset or deactivation: sessions made before it stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = created_at_column()
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    facility: Mapped["Facility | None"] = relationship()
    province: Mapped[Province | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def scope_province_id(self) -> int | None:
        """The province whose cases a province-level user follows."""
        if self.province_id is not None:
            return self.province_id
        return self.facility.province_id if self.facility else None

    def __str__(self) -> str:
        return self.display_name
