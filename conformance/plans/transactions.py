"""The transactions plan: Universign's transaction API as the operator drives it (``/files``, ``/transactions``).

Each check prepares its own transaction through the public calls (a PDF uploaded, a draft, a document, a signature
field and its signer), with the operator's credentials, bodies form-encoded as Universign's examples are, and
cancels it at the end, so that checks rerun alone leave nothing started behind.
"""

from __future__ import annotations

from typing import Any

from conformance.context import CheckContext
from conformance.plans.registration import steps
from conformance.registry import check
from conformance.results import Severity

UNIVERSIGN = "Universign developer documentation, Transactions (apps.universign.com/docs/services/transaction/)"
DOCUMENTS = f"{UNIVERSIGN}: 'You must add at least 1 document (and up to 20) to your transaction'"
ONCE = "DESIGN.md §5: once means once (a transition happens once; illegal transitions answer 409 and change nothing)"
#: Universign's limit of documents in a transaction.
MAX_DOCUMENTS = 20


def _post(ctx: CheckContext, path: str, **form: str) -> Any:
    return ctx.http.post("trust", path, data=form, auth=steps.operator_auth(ctx))


def _upload(ctx: CheckContext) -> str:
    files = {"file": ("contrat.pdf", steps.minimal_pdf(), "application/pdf")}
    answer = ctx.http.post("trust", "/files", files=files, auth=steps.operator_auth(ctx))
    return str(ctx.expect_status(answer, 200, 201, what="uploading a PDF (POST /files)")["id"])


def _draft(ctx: CheckContext) -> str:
    answer = _post(ctx, "/transactions", name="jesign-conformance")
    return str(ctx.expect_status(answer, 200, 201, what="creating a transaction (POST /transactions)")["id"])


def _ready(ctx: CheckContext) -> str:
    """A draft with one document, one signature field and its signer: one start away from ``started``."""
    file_id = _upload(ctx)
    tx = _draft(ctx)
    doc = ctx.expect_status(_post(ctx, f"/transactions/{tx}/documents", document=file_id), 200, 201, what="a document")
    fields = f"/transactions/{tx}/documents/{doc['id']}/fields"
    field = ctx.expect_status(_post(ctx, fields, type="signature", page="1", x="72", y="600"), 200, 201, what="a field")
    signer = {"signer": "client.conformance@example.com", "field": field["id"]}
    ctx.expect_status(_post(ctx, f"/transactions/{tx}/signatures", **signer), 200, 201, what="a signer")
    return tx


def _state(ctx: CheckContext, tx: str) -> str:
    answer = ctx.http.get("trust", f"/transactions/{tx}", auth=steps.operator_auth(ctx))
    return str(ctx.expect_status(answer, 200, what="reading the transaction").get("state"))


@check(
    "transactions.lifecycle.start_once",
    title="A transaction is started once: a second start is refused with 409 and changes nothing",
    cites=(f"{UNIVERSIGN}: a draft transaction is started (POST /transactions/{{id}}/start)", ONCE),
    severity=Severity.MAJOR,
)
def start_once(ctx: CheckContext) -> None:
    """The operator starts a ready draft, then starts it again: the first start answers the ``started``
    transaction, the second a 409 problem, and the transaction is still ``started`` with the same ``started_at``."""
    tx = _ready(ctx)
    try:
        first = ctx.expect_status(_post(ctx, f"/transactions/{tx}/start"), 200, what="the first start")
        ctx.expect(first.get("state") == "started", f"after the first start the state is {first.get('state')!r}")
        ctx.expect_refusal(_post(ctx, f"/transactions/{tx}/start"), 409, None, "starting a started transaction")
        ctx.expect(_state(ctx, tx) == "started", "the transaction is no longer started after the refused start")
    finally:
        _post(ctx, f"/transactions/{tx}/cancel")


@check(
    "transactions.documents.limit",
    title="A transaction holds 1 to 20 documents: the 20th is accepted, the 21st refused",
    cites=(DOCUMENTS,),
    severity=Severity.MAJOR,
)
def documents_limit(ctx: CheckContext) -> None:
    """One uploaded PDF is added 20 times to a draft (each accepted), then a 21st time: refused with a 4xx problem,
    and the transaction still holds 20 documents."""
    file_id = _upload(ctx)
    tx = _draft(ctx)
    try:
        for number in range(1, MAX_DOCUMENTS + 1):
            answer = _post(ctx, f"/transactions/{tx}/documents", document=file_id, name=f"document {number}")
            ctx.expect(
                answer.status_code in (200, 201), f"document {number} of {MAX_DOCUMENTS} refused: {answer.status_code}"
            )
        over = _post(ctx, f"/transactions/{tx}/documents", document=file_id, name="one too many")
        ctx.expect_refusal(over, (409, 400), None, f"a document beyond the {MAX_DOCUMENTS}th")
        read = ctx.expect_status(
            ctx.http.get("trust", f"/transactions/{tx}", auth=steps.operator_auth(ctx)), 200, what="the transaction"
        )
        held = len(read.get("documents") or [])
        ctx.expect(held == MAX_DOCUMENTS, f"the transaction holds {held} documents after the refusal")
    finally:
        _post(ctx, f"/transactions/{tx}/cancel")


@check(
    "transactions.access.owner_only",
    title="A transaction is its operator's: another operator's key can neither read, list nor cancel it",
    cites=(
        f"{UNIVERSIGN}: the API key authenticates the workspace whose transactions it reads",
        "OWASP API Security Top 10 2023, API1: broken object level authorization",
    ),
    severity=Severity.CRITICAL,
    needs=("operators",),
)
def owner_only(ctx: CheckContext) -> None:
    """A draft prepared with the target's operator credentials; another operator's key (issued through the harness)
    reads it, finds it in its list, cancels it: each refused (403 or 404) or absent, and the draft is still a draft
    for its owner."""
    tx = _ready(ctx)
    other = {"Authorization": f"Bearer {ctx.harness.operator_key('conformance-other-operator')}"}
    try:
        read = ctx.http.get("trust", f"/transactions/{tx}", headers=other)
        ctx.expect_refusal(read, (403, 404), None, "another operator's key reading my transaction")
        listed = ctx.expect_status(ctx.http.get("trust", "/transactions", headers=other), 200, what="its list")
        ctx.expect(tx not in [t.get("id") for t in listed.get("data", [])], "another operator's list holds it")
        cancel = ctx.http.post("trust", f"/transactions/{tx}/cancel", data={}, headers=other)
        ctx.expect_refusal(cancel, (403, 404), None, "another operator's key cancelling my transaction")
        ctx.expect(_state(ctx, tx) == "draft", f"after the refusals my transaction is {_state(ctx, tx)}")
    finally:
        _post(ctx, f"/transactions/{tx}/cancel")
