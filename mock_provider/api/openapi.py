"""``GET /openapi.json``: the OpenAPI 3.1 description of the platform, trust and control APIs.

The document is written by hand in ``openapi.yaml`` beside this module and read once. At serve time ``servers``
takes the configured base URL, and without the control plane its ``/_mock`` paths and ``control`` tag are left
out, as the routes themselves are. ``tests/mock_provider/test_openapi.py`` keeps it true to the routes.
"""

from __future__ import annotations

import copy
import functools
from importlib import resources
from typing import Any

import yaml
from flask import Blueprint, Response

from mock_provider.api.common import ok
from mock_provider.http_common.services import services

bp = Blueprint("openapi", __name__)

CONTROL_PREFIX = "/_mock"
CONTROL_TAG = "control"


@functools.cache
def _source() -> dict[str, Any]:
    text = resources.files("mock_provider.api").joinpath("openapi.yaml").read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def document(*, base_url: str, control_plane: bool) -> dict[str, Any]:
    """The OpenAPI document as served by a mock with that base URL and control-plane setting."""
    spec = copy.deepcopy(_source())
    spec["servers"] = [{"url": base_url, "description": "This mock provider (TEST ONLY)."}]
    if not control_plane:
        spec["paths"] = {path: item for path, item in spec["paths"].items() if not path.startswith(CONTROL_PREFIX)}
        spec["tags"] = [tag for tag in spec.get("tags", []) if tag.get("name") != CONTROL_TAG]
    return spec


@bp.get("/openapi.json")
def openapi_json() -> Response:
    config = services().config
    return ok(document(base_url=config.base_url, control_plane=config.control_plane))
