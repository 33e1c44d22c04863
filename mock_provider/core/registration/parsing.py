"""The registration's input parsing, shared by the APIs and the screens through the core's calls.

A caller hands the values as it received them (JSON or form fields); these functions normalise them or raise
:class:`~mock_provider.core.errors.InvalidInput` with the field's error, so that both adapters refuse alike.
"""

from __future__ import annotations

import re

from mock_provider.core.errors import InvalidInput

_FRENCH_MOBILE = re.compile(r"^0[67][0-9]{8}$")

_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


def normalise_mobile(raw: str, *, field: str = "mobile_number") -> str:
    """A French mobile (06 12 34 56 78, +33 6 12 …) or any E.164 number, as E.164; else :class:`InvalidInput`."""
    compact = re.sub(r"[\s.\-()]", "", raw or "")
    if _FRENCH_MOBILE.match(compact):
        return "+33" + compact[1:]
    if compact.startswith("+33") and not re.fullmatch(r"\+33[67][0-9]{8}", compact):
        raise _bad_mobile(field)
    if _E164.match(compact):
        return compact
    raise _bad_mobile(field)


def _bad_mobile(field: str) -> InvalidInput:
    return InvalidInput(
        "a French mobile number (06 or 07) or an international number in E.164 form (+33612345678) is required",
        code="invalid_mobile_number",
        errors=[{"field": field, "code": "invalid_mobile_number", "detail": "not a mobile number"}],
    )


def _firm_ids(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(v.get("id")) if isinstance(v, dict) else str(v) for v in value]
