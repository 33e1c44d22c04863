"""Identifiers prefixed by kind (``crt_``, ``key_``, ``ca_`` …), as DESIGN.md section 5 requires."""

from __future__ import annotations

import base64
import secrets


def new_id(prefix: str) -> str:
    """A random identifier such as ``crt_3xq7k2mdl5v4tcz6``: 80 bits, lower-case base32."""
    token = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
    return f"{prefix}_{token}"
