"""Domain errors and the friendly error pages."""

from flask import Flask, render_template


class DomainError(Exception):
    """A rule refused the change. ``field`` names the form field the message belongs to."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def register_errorhandlers(app: Flask) -> None:
    def render(code: int):
        def handler(_error):
            return render_template(f"errors/{code}.html"), code

        return handler

    for code in (400, 403, 404, 405, 500):
        app.register_error_handler(code, render(code))
