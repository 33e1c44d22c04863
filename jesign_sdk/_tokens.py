"""The token store of the command line: the logins it keeps between runs, one per base URL.

The tokens live in ``<directory>/tokens.json``, readable by the owner only: the file is created with mode 0600 and
its directory, when made here, with mode 0700. A write goes to a fresh file beside it (0600 from its creation, never
wider for an instant) which then replaces the old one, so a crash never leaves half a file. A file that cannot be
read as a token store counts as empty: the caller's remedy is to log in again, which rewrites it.

The caller's job: never print what :meth:`TokenStore.load` returns.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from jesign_sdk._models import Tokens

__all__ = ["TokenStore"]

FILE_NAME = "tokens.json"
_FORMAT = 1


class TokenStore:
    """The saved logins in ``directory`` (created on the first save), keyed by the deployment's base URL."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.path = self.directory / FILE_NAME

    def load(self, base_url: str) -> Tokens | None:
        entry = self._read().get(_key(base_url))
        if not isinstance(entry, dict):
            return None
        try:
            return Tokens.from_stored(entry)
        except (KeyError, TypeError, ValueError):
            return None

    def save(self, base_url: str, tokens: Tokens) -> None:
        entries = self._read()
        entries[_key(base_url)] = tokens.as_json()
        self._write(entries)

    def delete(self, base_url: str) -> bool:
        """Forget the login to ``base_url``; False when there was none."""
        entries = self._read()
        if entries.pop(_key(base_url), None) is None:
            return False
        self._write(entries)
        return True

    def _read(self) -> dict[str, Any]:
        try:
            body = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        tokens = body.get("tokens") if isinstance(body, dict) else None
        return dict(tokens) if isinstance(tokens, dict) else {}

    def _write(self, entries: dict[str, Any]) -> None:
        if not self.directory.exists():
            self.directory.mkdir(mode=0o700, parents=True)
        text = json.dumps({"format": _FORMAT, "tokens": entries}, indent=2, sort_keys=True)
        temporary = self.path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()  # a leftover of a crashed run: O_EXCL below must create the file afresh
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise


def _key(base_url: str) -> str:
    return base_url.rstrip("/")
