"""``/trust/v1/id-validations``: identity prevalidation, as Universign publishes it (``POST /v1/id-validations``).

The operator authenticates as for registrations (as :mod:`mock_provider.api.trust` checks it). The request is
Universign's: a ``multipart/form-data`` body with ``document`` once or twice, ``document_type``, ``email``,
``full_name`` and ``birthdate``. The answer (``201`` with the validation, ``state`` ``valid`` or ``invalid``) and
``GET /trust/v1/id-validations/{id}`` are the mock's own: Universign announces the outcome with the
``identity-validation.processed`` event and does not publish the rest (see :mod:`mock_provider.core.id_validations`).
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from mock_provider.api.common import ok
from mock_provider.api.trust import operator
from mock_provider.core.errors import InvalidInput
from mock_provider.http_common.services import services

bp = Blueprint("id_validations", __name__, url_prefix="/trust/v1")


@bp.post("/id-validations")
def create_id_validation() -> Response:
    owner = operator()
    if request.mimetype != "multipart/form-data":
        raise InvalidInput(
            "send the identity validation as multipart/form-data, the files as 'document'", code="invalid_upload"
        )
    documents = [part.read() for part in request.files.getlist("document")]
    form = request.form
    created = services().id_validations.create(
        owner,
        documents=documents,
        document_type=form.get("document_type"),
        email=form.get("email"),
        full_name=form.get("full_name"),
        birthdate=form.get("birthdate"),
    )
    return ok(created.as_json(), 201)


@bp.get("/id-validations/<validation_id>")
def get_id_validation(validation_id: str) -> Response:
    return ok(services().id_validations.get(operator(), validation_id).as_json())
