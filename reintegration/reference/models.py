"""Places and reference lists. Admins edit them; code keys on codes and flags, never names."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..types import LabelledEnum, enum_type


class Named:
    """A row with a Vietnamese and an English name, shown in the reader's language."""

    name_vi: Mapped[str]
    name_en: Mapped[str]

    @property
    def name(self) -> str:
        locale = get_locale()
        if locale is not None and locale.language == "en":
            return self.name_en
        return self.name_vi

    def __str__(self) -> str:
        return self.name


class Province(Named, Model):
    __tablename__ = "provinces"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name_vi: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    communes: Mapped[list["Commune"]] = relationship(
        back_populates="province", order_by="Commune.name_vi"
    )


class Commune(Named, Model):
    """A commune or ward: since 1 July 2025 the level below the province."""

    __tablename__ = "communes"
    __audited__ = True
    __table_args__ = (UniqueConstraint("province_id", "name_vi"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    name_vi: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)

    province: Mapped[Province] = relationship(back_populates="communes")


class ListKind(LabelledEnum):
    COUNTRY = "country"
    EXPLOITATION = "exploitation"
    RETURN_ROUTE = "return_route"
    RECRUITMENT = "recruitment"
    CONTROL = "control"
    ETHNICITY = "ethnicity"
    DESTINATION = "destination"
    TRADE = "trade"
    SOFT_SKILL = "soft_skill"
    RISK_SIGN = "risk_sign"

    @classmethod
    def labels(cls):
        return {
            cls.COUNTRY: _l("Countries of exploitation"),
            cls.EXPLOITATION: _l("Forms of exploitation"),
            cls.RETURN_ROUTE: _l("Routes of return"),
            cls.RECRUITMENT: _l("Ways of recruitment"),
            cls.CONTROL: _l("Means of control"),
            cls.ETHNICITY: _l("Ethnic groups"),
            cls.DESTINATION: _l("Discharge destinations"),
            cls.TRADE: _l("Vocational trades"),
            cls.SOFT_SKILL: _l("Soft-skills modules"),
            cls.RISK_SIGN: _l("Risk signs of re-trafficking"),
        }


class ListItem(Named, Model):
    """One entry of a reference list (a country, a form of exploitation, an ethnic group...)."""

    __tablename__ = "list_items"
    __audited__ = True
    __table_args__ = (UniqueConstraint("kind", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ListKind] = mapped_column(enum_type(ListKind), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name_vi: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class IdentificationStatus(LabelledEnum):
    """The five statuses of Law 53/2024; each is entitled to some support types."""

    IDENTIFIED = "identified"
    ACCOMPANYING_CHILD = "accompanying_child"
    UNDER_IDENTIFICATION_ABROAD = "under_identification_abroad"
    UNDER_IDENTIFICATION_VIETNAM = "under_identification_vietnam"
    FOREIGN_VICTIM = "foreign_victim"

    @classmethod
    def labels(cls):
        return {
            cls.IDENTIFIED: _l("Identified victim"),
            cls.ACCOMPANYING_CHILD: _l("Child under 18 accompanying a victim"),
            cls.UNDER_IDENTIFICATION_ABROAD: _l("Under identification, still abroad"),
            cls.UNDER_IDENTIFICATION_VIETNAM: _l("Under identification, in Vietnam"),
            cls.FOREIGN_VICTIM: _l("Foreign victim trafficked in Vietnam"),
        }


class SupportType(Named, Model):
    """A support type of Law 53/2024, Article 37 (letters a to k)."""

    __tablename__ = "support_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter: Mapped[str] = mapped_column(String(2), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(default=0)

    kinds: Mapped[list["ServiceKind"]] = relationship(
        back_populates="support_type", order_by="ServiceKind.sort_order"
    )

    @property
    def title(self) -> str:
        return f"{self.letter}) {self.name}"


class Entitlement(Model):
    """Which support types an identification status is entitled to."""

    __tablename__ = "entitlements"
    __audited__ = True
    __table_args__ = (UniqueConstraint("status", "support_type_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[IdentificationStatus] = mapped_column(enum_type(IdentificationStatus))
    support_type_id: Mapped[int] = mapped_column(ForeignKey("support_types.id"))

    support_type: Mapped[SupportType] = relationship()


class ServiceKind(Named, Model):
    """A service staff record, under one support type (needs assessment, meals, ...)."""

    __tablename__ = "service_kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    support_type_id: Mapped[int] = mapped_column(ForeignKey("support_types.id"))
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    support_type: Mapped[SupportType] = relationship(back_populates="kinds")
