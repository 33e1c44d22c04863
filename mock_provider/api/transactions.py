"""``/trust/v1/files`` and ``/trust/v1/transactions``: Universign's transaction API, first slice (no signer pages).

Bodies as Universign's: ``POST /files`` is ``multipart/form-data`` with the PDF as ``file``; every other call
takes form-encoded fields (``application/x-www-form-urlencoded``, or multipart), or no body. Answers are JSON,
``200`` as Universign's. The operator authenticates as for registrations. The rules are
:mod:`mock_provider.core.transactions`.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from mock_provider.api.common import ok
from mock_provider.api.trust import operator
from mock_provider.core.errors import InvalidInput
from mock_provider.core.transactions import rules
from mock_provider.http_common.services import services

bp = Blueprint("transactions", __name__, url_prefix="/trust/v1")

FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _form() -> dict[str, str]:
    """The request's form fields (the first value of each); a body of another kind is ``400 invalid_form``."""
    if request.mimetype not in FORMS and (request.content_length or request.get_data(cache=True)):
        raise InvalidInput(
            "send the fields form-encoded (application/x-www-form-urlencoded), as Universign's API takes them",
            code="invalid_form",
        )
    return {name: request.form[name] for name in request.form}


@bp.post("/files")
def upload_file() -> Response:
    owner = operator()
    if request.mimetype != "multipart/form-data":
        raise InvalidInput("send the document as multipart/form-data, the PDF as 'file'", code="invalid_upload")
    upload = request.files.get("file")
    pdf = upload.read(rules.MAX_FILE_BYTES + 1) if upload is not None else b""
    name = upload.filename if upload is not None else None
    return ok(services().transactions.upload(owner, name, pdf).as_json())


@bp.post("/transactions")
def create_transaction() -> Response:
    owner = operator()
    return ok(services().transactions.create(owner, _form()).as_json())


@bp.get("/transactions")
def list_transactions() -> Response:
    owner = operator()
    errors: list[dict[str, str]] = []
    query = {name: request.args[name] for name in request.args}
    state = query.get("state") or None
    if state is not None and state not in rules.STATES:
        errors.append(rules.error("state", f"one of {', '.join(rules.STATES)}"))
    limit = rules.integer(query, "limit", errors, smallest=1, largest=rules.MAX_LIMIT)
    rules.refuse_if(errors, "invalid query", "invalid_query")
    page = services().transactions.list(
        owner, state=state, limit=limit or rules.DEFAULT_LIMIT, after=query.get("starting_after") or None
    )
    return ok(page.as_json())


@bp.get("/transactions/<transaction_id>")
def get_transaction(transaction_id: str) -> Response:
    return ok(services().transactions.get(operator(), transaction_id).as_json())


@bp.post("/transactions/<transaction_id>/documents")
def add_document(transaction_id: str) -> Response:
    owner = operator()
    return ok(services().transactions.add_document(owner, transaction_id, _form()).as_json())


@bp.post("/transactions/<transaction_id>/documents/<document_id>/fields")
def add_field(transaction_id: str, document_id: str) -> Response:
    owner = operator()
    return ok(services().transactions.add_field(owner, transaction_id, document_id, _form()).as_json())


@bp.post("/transactions/<transaction_id>/signatures")
def add_signature(transaction_id: str) -> Response:
    owner = operator()
    return ok(services().transactions.add_signature(owner, transaction_id, _form()).as_json())


@bp.post("/transactions/<transaction_id>/start")
def start_transaction(transaction_id: str) -> Response:
    owner = operator()
    _form()
    return ok(services().transactions.start(owner, transaction_id).as_json())


@bp.post("/transactions/<transaction_id>/cancel")
def cancel_transaction(transaction_id: str) -> Response:
    owner = operator()
    _form()
    return ok(services().transactions.cancel(owner, transaction_id).as_json())
