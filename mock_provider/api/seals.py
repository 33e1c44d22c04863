"""``/trust/v1/seals``: the standalone seal service, as Universign publishes it (``POST /v1/seals``).

A ``multipart/form-data`` body: ``file`` (the PDF) and ``seal_id``; optional ``label``, ``field_page``,
``field_x``, ``field_y``, ``language``. The answer is ``200`` with the sealed PDF; nothing is kept. The operator
authenticates as for registrations. See :mod:`mock_provider.core.seals` for the rules and the mock's own choices.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from mock_provider.api.trust import operator
from mock_provider.core.errors import InvalidInput
from mock_provider.http_common.services import services

bp = Blueprint("seals", __name__, url_prefix="/trust/v1")

FORM_FIELDS = ("seal_id", "label", "field_page", "field_x", "field_y", "language")


@bp.post("/seals")
def seal() -> Response:
    owner = operator()
    if request.mimetype != "multipart/form-data":
        raise InvalidInput("send the document as multipart/form-data, the PDF as 'file'", code="invalid_upload")
    upload = request.files.get("file")
    pdf = upload.read() if upload is not None else b""
    form = {name: request.form[name] for name in FORM_FIELDS if name in request.form}
    sealed = services().seals.seal(owner, pdf, form)
    return Response(
        sealed,
        200,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="sealed.pdf"', "Cache-Control": "no-store"},
    )
