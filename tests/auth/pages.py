"""Reading pages the way a user does: a field's message, a form's values, a table's rows."""

import re
from html import unescape
from html.parser import HTMLParser

from flask_babel import force_locale, gettext

_FEEDBACK = re.compile(r'<div class="invalid-feedback[^"]*">(.*?)</div>', re.S)
_TAGS = re.compile(r"<[^>]+>")


def field_errors(page: str, name: str) -> list[str]:
    """The messages shown beside the field ``name``; [] when the field is not marked."""
    control = re.search(rf'<(input|select|textarea)\b[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    assert control is not None, f"no field {name!r} on the page"
    if "is-invalid" not in control.group(0):
        return []
    rest = page[control.end() :]
    end = re.search(r'<div class="mb-3|</form>', rest)
    return [unescape(message).strip() for message in _FEEDBACK.findall(rest[: end.start()])]


def in_vietnamese(english: str, **values) -> str:
    """A message as shown in the default language."""
    with force_locale("vi"):
        return gettext(english, **values)


def text(page: str) -> str:
    """The page's visible words, tags removed and spaces collapsed."""
    return " ".join(unescape(_TAGS.sub(" ", page)).split())


def table_rows(page: str) -> list[list[str]]:
    """The text of each cell of each row in the page's first table body."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    assert body is not None, "no table on the page"
    return [
        [text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    ]


class _FormReader(HTMLParser):
    """Collects what a browser would submit for each form of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self._chosen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action", ""), "fields": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            self._input(attrs)
        elif tag == "select":
            self._select, self._first_option, self._chosen = attrs.get("name"), None, False
        elif tag == "option" and self._select:
            self._option(attrs)
        elif tag == "textarea":
            self._textarea = attrs.get("name")
            self._form["fields"].append((self._textarea, ""))

    def _option(self, attrs):
        if self._first_option is None:
            self._first_option = attrs.get("value", "")
        if "selected" in attrs:
            self._chosen = True
            self._form["fields"].append((self._select, attrs.get("value", "")))

    def _input(self, attrs):
        name, kind = attrs.get("name"), attrs.get("type", "text")
        if not name or kind in ("submit", "button"):
            return
        if kind in ("checkbox", "radio") and "checked" not in attrs:
            return
        self._form["fields"].append((name, attrs.get("value", "on" if kind == "checkbox" else "")))

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            name, value = self._form["fields"][-1]
            if not value:  # a browser drops the newline that opens a textarea
                data = data.removeprefix("\r").removeprefix("\n")
            self._form["fields"][-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            if self._select and not self._chosen and self._first_option is not None:
                # With nothing selected, a browser sends the first option.
                self._form["fields"].append((self._select, self._first_option))
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_values(page: str, action: str = "") -> dict[str, str | list[str]]:
    """What submitting the form posted to ``action`` ("" for the page itself) would send."""
    reader = _FormReader()
    reader.feed(page)
    form = next((f for f in reader.forms if f["action"] == action), None)
    assert form is not None, f"no form posting to {action!r} on the page"
    values: dict[str, str | list[str]] = {}
    for name, value in form["fields"]:
        if name in values:
            previous = values[name]
            values[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            values[name] = value
    return values
