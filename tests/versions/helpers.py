"""Reading the version a page's form carries and the conflict box shown beside it."""

import re

from tests.helpers import text_of

_VERSION = re.compile(
    r'<input[^>]*name="version"[^>]*value="(\d*)"|value="(\d*)"[^>]*name="version"'
)


def version_on(response) -> str:
    """The version the page's form carries (its hidden field)."""
    found = _VERSION.search(response.get_data(as_text=True))
    assert found, "no version on the page"
    return found.group(1) or found.group(2)


def conflict_box(response) -> str:
    """The conflict box's words, spaces collapsed."""
    page = text_of(response)
    start = page.find('id="conflict"')
    assert start >= 0, "no conflict box on the page"
    box = page[start : page.index("</div>", start)]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", box)).strip()
