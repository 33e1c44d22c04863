"""The token store of the command line: the logins it keeps between runs, one per base URL, and the trust
provider's session of the person's registration (the hand-off's, which reporting an error in the certificate
needs after the registration is done).

Both live in ``<directory>/tokens.json``, readable by the owner only: the file is created with mode 0600 and
its directory, when made here, with mode 0700. A write goes to a fresh file beside it (0600 from its creation, never
wider for an instant) which then replaces the old one, so a crash never leaves half a file. A file that cannot be
read as a token store counts as empty: the caller's remedy is to log in again, which rewrites it.

The caller's job: never print what :meth:`TokenStore.load` and :meth:`TokenStore.load_handoff` return.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from jesign_sdk._models import Handoff, Tokens

__all__ = ["TokenStore"]

FILE_NAME = "tokens.json"
_FORMAT = 1


class TokenStore:
    """The saved logins in ``directory`` (created on the first save), keyed by the deployment's base URL."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.path = self.directory / FILE_NAME

    def load(self, base_url: str) -> Tokens | None:
        entry = self._read().get("tokens", {}).get(_key(base_url))
        if not isinstance(entry, dict):
            return None
        try:
            return Tokens.from_stored(entry)
        except (KeyError, TypeError, ValueError):
            return None

    def save(self, base_url: str, tokens: Tokens) -> None:
        document = self._read()
        document["tokens"][_key(base_url)] = tokens.as_json()
        self._write(document)

    def delete(self, base_url: str) -> bool:
        """Forget the login to ``base_url`` and the registration's session kept with it; False when there was no
        login."""
        document = self._read()
        found = document["tokens"].pop(_key(base_url), None) is not None
        document["handoffs"].pop(_key(base_url), None)
        if found:
            self._write(document)
        return found

    def load_handoff(self, base_url: str, sub: str) -> Handoff | None:
        """The hand-off kept for the person ``sub`` on ``base_url`` (None when none is, or it is another's)."""
        entry = self._read().get("handoffs", {}).get(_key(base_url))
        if not isinstance(entry, dict) or entry.get("sub") != sub or not isinstance(entry.get("handoff"), dict):
            return None
        try:
            return Handoff.from_json(entry["handoff"])
        except (KeyError, TypeError, ValueError):
            return None

    def save_handoff(self, base_url: str, sub: str, handoff: Handoff) -> None:
        """Keep the latest hand-off of the person ``sub`` on ``base_url`` (one per base URL)."""
        document = self._read()
        document["handoffs"][_key(base_url)] = {"sub": sub, "handoff": handoff.as_json()}
        self._write(document)

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            body = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            body = {}
        document: dict[str, dict[str, Any]] = {}
        for section in ("tokens", "handoffs"):
            value = body.get(section) if isinstance(body, dict) else None
            document[section] = dict(value) if isinstance(value, dict) else {}
        return document

    def _write(self, document: dict[str, dict[str, Any]]) -> None:
        if not self.directory.exists():
            self.directory.mkdir(mode=0o700, parents=True)
        text = json.dumps({"format": _FORMAT, **document}, indent=2, sort_keys=True)
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
