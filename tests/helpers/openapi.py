"""The mock's OpenAPI document as the tests read it: routes against documented operations, and a contract that
checks each answer of a walk against the document (status documented, body valid against its schema)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from werkzeug.test import TestResponse

PREFIXES = ("/platform/api/v1", "/trust/v1", "/trust/csc", "/_mock")
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
SPEC_URI = "urn:jesign:openapi"


def _template(rule: str) -> str:
    """A Flask rule as an OpenAPI path template: ``<name>`` and ``<conv:name>`` become ``{name}``."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


def routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIXES):
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                found.add((method.lower(), _template(rule.rule)))
    return found


def documented(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method, path) for path, item in spec["paths"].items() for method in item if method in HTTP_METHODS}


def served(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    spec = response.json
    assert isinstance(spec, dict)
    return spec


class Contract:
    """Checks answers against the document: the status is documented, the body matches its schema."""

    def __init__(self, app: Flask, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.adapter = app.url_map.bind("localhost")
        self.registry: Registry[Any] = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(spec))
        self.seen: set[tuple[str, str, int]] = set()

    def check(self, response: TestResponse, expected: int, *, default: bool = False) -> Any:
        """Check one answer, whose status must be ``expected``; return its JSON body.

        With ``default``, a status not listed may fall to the operation's ``default`` response.
        """
        method = response.request.method.lower()
        rule, _ = self.adapter.match(response.request.path, method=method.upper(), return_rule=True)
        path = _template(rule.rule)
        status = response.status_code
        assert status == expected, (method.upper(), response.request.path, status, response.get_data(as_text=True))
        operation = self.spec["paths"][path][method]
        key = str(status)
        if key not in operation["responses"] and default:
            key = "default"
        assert key in operation["responses"], f"{method.upper()} {path}: {status} is not documented"
        pointer = f"/paths/{_escape(path)}/{method}/responses/{key}"
        answer = operation["responses"][key]
        if "$ref" in answer:
            pointer = answer["$ref"].removeprefix("#")
            answer = self._resolve(pointer)
        content = answer.get("content")
        if content is None:
            assert response.get_data() == b"", f"{method.upper()} {path}: {status} has an undocumented body"
        else:
            media = response.mimetype or ""
            assert media in content, f"{method.upper()} {path}: {status} as {media}"
            if status >= 400:
                assert media == "application/problem+json"
            if not response.is_json:
                self.seen.add((method, path, status))
                return None  # a page: its media type is what the document can say
            schema_pointer = f"{pointer}/content/{_escape(media)}/schema"
            validator = Draft202012Validator(
                {"$ref": f"{SPEC_URI}#{schema_pointer}"},
                registry=self.registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.json)]
            assert not errors, f"{method.upper()} {path} {status}: " + "; ".join(errors)
        self.seen.add((method, path, status))
        return response.json if response.is_json else None

    def _resolve(self, pointer: str) -> dict[str, Any]:
        node: Any = self.spec
        for part in pointer.strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        assert isinstance(node, dict)
        return node


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")
