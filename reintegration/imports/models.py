"""Import previews waiting for their confirmation."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..types import UTCDateTime


class ImportPreview(Model):
    """A checked file's rows and problems, sealed (reintegration/sealing.py): they hold names
    and birth dates."""

    __tablename__ = "import_previews"
    __table_args__ = (Index("ix_import_previews_created_at", "created_at"),)

    token: Mapped[str] = mapped_column(String(43), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
