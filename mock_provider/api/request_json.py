"""Request bodies in JSON: parsed once, by one bounded parser, for every route of the app.

:func:`install` makes :func:`parse` the app's JSON loader (``app.json``), which every ``request.get_json()`` goes
through: the blueprints' :func:`~mock_provider.api.common.json_body`, and any library reading a request's JSON on
top of Flask (Authlib's JSON requests). What it refuses becomes a ``400 invalid_json`` problem with a field error
saying why, never a 500:

- text that is not JSON (RFC 8259), or not in UTF-8, UTF-16 or UTF-32;
- arrays and objects nested deeper than :data:`MAX_DEPTH`: the depth is measured on the text, before Python's
  recursive parser sees it (``[`` a hundred thousand times would exhaust its recursion);
- ``NaN``, ``Infinity`` and numbers too large for a float (``1e400``): not JSON, and not storable;
- a string holding a lone UTF-16 surrogate (``"\\ud800"``), which no database column can store.

Integers of more than 4300 digits are refused by Python itself (the same ``400``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Flask, Request
from flask.json.provider import DefaultJSONProvider

from mock_provider.core.errors import InvalidInput

#: Deepest nesting of arrays and objects accepted in a request body. The mock's bodies use three levels at most.
MAX_DEPTH = 64

#: A JSON string (closed or not: an unclosed one runs to the end of the text), or one bracket outside strings.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonRefused(ValueError):
    """A request body that the mock does not accept as JSON; ``reason`` is the field error's code."""

    def __init__(self, detail: str, reason: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.reason = reason


def parse(data: str | bytes) -> Any:
    """The JSON value of ``data``, or :class:`JsonRefused` (a ``ValueError``, as Flask expects of a loader)."""
    if isinstance(data, bytes):
        try:
            text = data.decode(json.detect_encoding(data))
        except UnicodeDecodeError as exc:
            raise JsonRefused("the body is not text in UTF-8, UTF-16 or UTF-32", "invalid_encoding") from exc
    else:
        text = data
    if too_deep(text):
        raise JsonRefused(f"arrays and objects are nested deeper than {MAX_DEPTH} levels", "too_deep")
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except JsonRefused:
        raise
    except ValueError as exc:  # json.JSONDecodeError, or an integer of too many digits
        raise JsonRefused(f"the body is not JSON: {exc}", "malformed") from exc
    if _holds_lone_surrogate(value):
        raise JsonRefused("a string holds a lone UTF-16 surrogate (such as \\ud800)", "lone_surrogate")
    return value


def too_deep(text: str) -> bool:
    """Whether arrays and objects nest deeper than :data:`MAX_DEPTH` in ``text``, brackets in strings aside.

    Exact for any valid JSON text, and along the valid prefix of an invalid one, which is all that the parser
    would recurse into. Linear, and without recursion.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth = 0
    for token in _TOKEN.finditer(text):
        bracket = text[token.start()]
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif bracket in "]}":
            depth -= 1
    return False


def _no_constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON number", "not_a_number")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise JsonRefused(f"the number {literal[:40]} is too large", "not_a_number")
    return value


def _holds_lone_surrogate(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
    return False


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, loading with :func:`parse` (dumping is unchanged)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return parse(s)


class JsonRequest(Request):
    """Flask's request, with a body that fails to parse answered as ``400 invalid_json``."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:  # not sent as JSON: Flask's own 415
            return super().on_json_loading_failed(e)
        refused = e if isinstance(e, JsonRefused) else JsonRefused(f"the body is not JSON: {e}", "malformed")
        raise InvalidInput(
            refused.detail,
            code="invalid_json",
            errors=[{"field": "body", "code": refused.reason, "detail": refused.detail}],
        ) from e


def install(app: Flask) -> None:
    """Make :func:`parse` the loader of every request's JSON on ``app``."""
    app.json = BoundedJSONProvider(app)
    app.request_class = JsonRequest
