"""A real server on a port of its own, and a browser for it: cookies, forms read from the page.

For tests of many people at once, which the test client cannot show: requests served by
several threads, each with its own connection, committing for real.
"""

import threading
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import CookieJar

from werkzeug.serving import make_server

TIMEOUT_SECONDS = 60  # only reached when something hangs


@contextmanager
def serving(app):
    """``app`` served by a threaded server on 127.0.0.1; yields its base address."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(TIMEOUT_SECONDS)
        server.server_close()


@dataclass
class Page:
    status: int
    path: str
    text: str
    statuses: list[int] = field(default_factory=list)  # every answer, redirects included

    def form(self, action: str | None = None) -> list[tuple[str, str]]:
        """The fields a browser would send with the form posting to ``action`` (by default,
        the page's own form, which posts back to the page)."""
        reader = _FormReader()
        reader.feed(self.text)
        for form_action, fields in reader.forms:
            if form_action.split("?")[0] == (action or ""):
                return list(fields)
        raise AssertionError(f"no form posting to {action} on {self.path}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):
        return None


class Browser:
    """One person's browser: its own cookies; follows redirects and notes every status."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect()
        )

    def get(self, path: str) -> Page:
        return self._open(path, None)

    def post(self, path: str, fields: list[tuple[str, str]] | dict) -> Page:
        pairs = list(fields.items()) if isinstance(fields, dict) else fields
        return self._open(path, urllib.parse.urlencode(pairs).encode())

    def login(self, username: str, password: str, totp_secret: str | None = None) -> Page:
        """Log in; the code step too, with the codes an app holding ``totp_secret`` shows
        (by default the secret the tests' factory enrolls: tests/conftest.py)."""
        fields = dict(self.get("/login").form())
        fields.update(username=username, password=password)
        page = self.post("/login", fields)
        if page.path == "/login/code":
            from tests.conftest import TOTP_SECRET, totp_codes

            for code in totp_codes(totp_secret or TOTP_SECRET):
                fields = dict(page.form())
                fields.update(code=code)
                page = self.post("/login/code", fields)
                if page.path != "/login/code":
                    break
        assert "/login" not in page.path, f"{username} could not log in"
        return page

    def _open(self, path: str, body: bytes | None) -> Page:
        statuses = []
        while True:
            request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 (http only)
            try:
                with self.opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                    status, text, location = response.status, response.read(), None
            except urllib.error.HTTPError as answer:
                status, text = answer.code, answer.read()
                location = answer.headers.get("Location")
            statuses.append(status)
            if status in (301, 302, 303) and location:
                path, body = (
                    urllib.parse.urlsplit(location)._replace(scheme="", netloc="").geturl(),
                    None,
                )
                continue
            return Page(status, path, text.decode("utf-8", "replace"), statuses)


class _FormReader(HTMLParser):
    """Each form's action and the (name, value) pairs a browser would submit."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append((attrs.get("action", ""), []))
        elif tag == "option" and self._select is not None:
            self._option(attrs)
        elif not self.forms or "name" not in attrs or "disabled" in attrs:
            return
        elif tag == "input":
            self._input(attrs)
        elif tag == "select":
            self._select, self._select_first, self._select_chosen = attrs["name"], None, False
        elif tag == "textarea":
            self._textarea, self._text = attrs["name"], []

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def _input(self, attrs):
        kind = attrs.get("type", "text")
        if kind in ("submit", "button", "file", "image", "reset"):
            return
        if kind in ("checkbox", "radio") and "checked" not in attrs:
            return
        self._fields().append(
            (attrs["name"], attrs.get("value", "on" if kind == "checkbox" else ""))
        )

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            self._fields().append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            if not self._select_chosen and self._select_first is not None:
                self._fields().append((self._select, self._select_first))
            self._select = None

    def _option(self, attrs):
        value = attrs.get("value", "")
        if self._select_first is None:
            self._select_first = value
        if "selected" in attrs:
            self._fields().append((self._select, value))
            self._select_chosen = True

    def _fields(self) -> list[tuple[str, str]]:
        return self.forms[-1][1]
