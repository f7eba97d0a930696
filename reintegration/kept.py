"""Files kept on the server between requests: an import's preview, a workbook made in the
background.

Such a file may hold names and birth dates, so it never travels in an address or a cookie: it
lives in a folder of the instance (or a configured one), readable by the app alone, named by a
random token that its owner's pages carry. Each token has a state file, dated by the app's clock
(so that a frozen or moved clock ages it as it ages everything else); the token's files are
deleted once the state file is older than their lifetime, and a file without one (left by a
crash, or claimed) goes by its own date. Any worker sweeps the folder when it opens a file; the
sweep deletes only files named by a token and ending as the kind's do.
"""

import contextlib
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from flask import current_app

from . import clock

TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class KeptFiles:
    # The setting naming the folder, and the folder of the instance used without it.
    setting: str
    default: str
    lifetime: Callable[[], timedelta]
    # The endings of the files of a token: the sweep deletes nothing else.
    suffixes: tuple[str, ...]
    # The suffix of the file that dates a token's files.
    state: str = ".json"

    def folder(self) -> str:
        return current_app.config.get(self.setting) or os.path.join(
            current_app.instance_path, self.default
        )

    def path(self, token: str, suffix: str) -> str:
        return os.path.join(self.folder(), token + suffix)

    def new_token(self) -> str:
        """A token for new files, their folder made if need be; old files are swept first."""
        self.sweep()
        os.makedirs(self.folder(), mode=0o700, exist_ok=True)
        return secrets.token_urlsafe(32)

    def opening(self, token: str) -> bool:
        """Whether ``token`` may name files: swept first, so that no file outlives its
        lifetime because nobody made a new one."""
        self.sweep()
        return TOKEN.fullmatch(token) is not None

    def create(self, token: str, suffix: str, mode: str = "w") -> IO:
        """A new file of ``token``'s, readable and writable by the app alone."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        descriptor = os.open(self.path(token, suffix), flags, 0o600)
        return os.fdopen(descriptor, mode, encoding=None if "b" in mode else "utf-8")

    @staticmethod
    def date(path: str, moment: datetime) -> None:
        """Give ``path`` the time ``moment`` (by the app's clock): its age for the sweep."""
        stamp = moment.timestamp()
        os.utime(path, (stamp, stamp))

    def remove(self, token: str, *suffixes: str) -> None:
        for suffix in suffixes:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.path(token, suffix))

    def expired(self, since: datetime) -> bool:
        return clock.utcnow() - since >= self.lifetime()

    def sweep(self) -> None:
        """Delete the files of every token whose state file is older than the lifetime."""
        try:
            names = set(os.listdir(self.folder()))
        except FileNotFoundError:
            return
        oldest = (clock.utcnow() - self.lifetime()).timestamp()
        for name in names:
            if not name.endswith(self.suffixes) or not TOKEN.fullmatch(name.split(".", 1)[0]):
                continue
            state = name.split(".", 1)[0] + self.state
            if self._older(state if state in names else name, oldest):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(os.path.join(self.folder(), name))

    def _older(self, name: str, oldest: float) -> bool:
        try:
            return os.path.getmtime(os.path.join(self.folder(), name)) <= oldest
        except FileNotFoundError:
            return True  # swept a moment ago by another worker
