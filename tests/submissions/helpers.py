"""Reading a form as a browser would, and sending it as a browser does, twice."""

import html
import re
from html.parser import HTMLParser

from tests.helpers import text_of

ALREADY_SAVED = "This form was already sent and saved; here is what was saved."


class _Forms(HTMLParser):
    """Each POST form of a page: what its fields would send, as the browser shows them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, list[str]]] = []
        self._form: dict[str, list[str]] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = {}
            self.forms.append(self._form)
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button"):
                self._form.setdefault(name, []).append(a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self._form.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self._form[self._select].append(a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self._form[name] = [""]

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form[self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_on(response, containing: str = "submission") -> dict[str, list[str]]:
    """The first POST form of the page with a field named ``containing``."""
    parser = _Forms()
    parser.feed(response.get_data(as_text=True))
    forms = [form for form in parser.forms if containing in form]
    assert forms, f"no form with a field {containing!r} on the page"
    return forms[0]


def filled(client, url: str, containing: str = "submission", **values) -> dict:
    """The form of ``url`` as the page shows it (its key included), with ``values`` typed in."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    data = form_on(page, containing)
    data.update(
        {name: value if isinstance(value, list) else [value] for name, value in values.items()}
    )
    return data


def flashed(response) -> list[str]:
    """The messages shown at the top of the page."""
    return [
        html.unescape(re.sub(r"<[^>]+>", " ", message)).strip()
        for message in re.findall(
            r'<div class="alert alert-\w+[^"]*"[^>]*>(.*?)</div>',
            response.get_data(as_text=True),
            re.S,
        )
    ]


def sent_twice(client, url: str, data: dict):
    """Send the same form twice; the answers to both, and the page the second leads to."""
    first = client.post(url, data=data)
    second = client.post(url, data=data)
    shown = client.get(second.headers["Location"]) if second.status_code == 302 else second
    return first, second, shown


__all__ = ["ALREADY_SAVED", "filled", "flashed", "form_on", "sent_twice", "text_of"]
