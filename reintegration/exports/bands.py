"""Age bands, written once for every export that counts or publishes people by age.

A band is (youngest, oldest, label), the last one open (oldest None). The CTDC's bands are
given by the age each begins at; their labels ("0–8", "48+") are derived from those ages, so a
band moved is relabelled with it.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..cases.models import Case

Band = tuple[int, int | None, object]  # object: a str or a lazy string


def span(youngest: int, oldest: int | None) -> str:
    """ "9–17", or "48+" for a band with no upper limit."""
    return f"{youngest}+" if oldest is None else f"{youngest}–{oldest}"


def bands_from(starts: tuple[int, ...]) -> tuple[Band, ...]:
    """Bands beginning at each of ``starts`` (ascending, from 0), the last one open."""
    ends = [start - 1 for start in starts[1:]] + [None]
    return tuple((start, end, span(start, end)) for start, end in zip(starts, ends, strict=True))


# The Counter Trafficking Data Collaborative's bands, as its published datasets use them.
CTDC_BANDS = bands_from((0, 9, 18, 21, 24, 27, 30, 39, 48))
# The age at which a person is counted as an adult.
ADULT_AGE = 18
# The support workbook's broader groups, by age on the day of reception.
AGE_GROUPS: tuple[Band, ...] = (
    (0, 15, _l("Under 16")),
    (16, 17, span(16, 17)),
    (ADULT_AGE, None, _l("18 and over")),
)


def band(age: int | None, bands: tuple[Band, ...]) -> int | None:
    """The index of the band ``age`` falls in; None when the age is unknown."""
    if age is None or age < 0:
        return None
    return next(
        i for i, (_young, oldest, _label) in enumerate(bands) if oldest is None or age <= oldest
    )


def band_label(bands, index: int | None) -> str:
    return str(bands[index][2]) if index is not None else _("Unknown age")


def age_at_reception(row) -> int | None:
    # Case.age reads only the birth date and the estimated birth year, which the row carries.
    return Case.age(row, on=row.received_on)
