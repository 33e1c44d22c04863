"""Reading the JSON the APIs answer: one field at a time, of the type the API promises.

Each reader raises :class:`KeyError` for a required field that is missing (or null) and :class:`TypeError` for a
field of another JSON type, or a body that is not an object. The caller's job: read an answer's body only inside
:func:`jesign_sdk._requestor.read_json` (or ``read_body``), which turns those into
:class:`~jesign_sdk.APIResponseValidationError`, so that a malformed answer never surfaces as a ``KeyError``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

__all__ = ["field", "json_object", "objects", "optional", "optional_time", "strings", "time"]

V = TypeVar("V")

_JSON_NAMES: dict[type, str] = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}


def json_object(body: Any) -> dict[str, Any]:
    """``body`` itself, once it is known to be a JSON object."""
    if not isinstance(body, dict):
        raise TypeError(f"a JSON object was expected, not {_kind(body)}")
    return body


def field(body: Any, name: str, kind: type[V]) -> V:
    """The member ``name`` of the object ``body``: present, not null, and of ``kind``."""
    value = json_object(body).get(name)
    if value is None:
        raise KeyError(name)
    return _checked(name, value, kind)


def optional(body: Any, name: str, kind: type[V]) -> V | None:
    """The member ``name`` of the object ``body`` if present and not null (then of ``kind``), else None."""
    value = json_object(body).get(name)
    return None if value is None else _checked(name, value, kind)


def time(body: Any, name: str) -> datetime:
    """A required ISO 8601 instant."""
    return _instant(name, field(body, name, str))


def optional_time(body: Any, name: str) -> datetime | None:
    text = optional(body, name, str)
    return None if text is None else _instant(name, text)


def strings(body: Any, name: str) -> tuple[str, ...]:
    """An optional array of strings (empty when absent)."""
    return tuple(_checked(f"{name}[{i}]", v, str) for i, v in enumerate(optional(body, name, list) or ()))


def objects(body: Any, name: str) -> list[dict[str, Any]]:
    """An optional array of objects (empty when absent)."""
    return [_checked(f"{name}[{i}]", v, dict) for i, v in enumerate(optional(body, name, list) or ())]


def _checked(name: str, value: Any, kind: type[V]) -> V:
    # JSON has one number type: an integer is a fine float; a boolean is no integer, though Python says it is.
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # type: ignore[return-value]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"{name!r} is {_kind(value)}, not {_JSON_NAMES.get(kind, kind.__name__)}")
    return value


def _instant(name: str, text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name!r} is not an ISO 8601 instant: {text[:40]!r}") from None


def _kind(value: Any) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)
