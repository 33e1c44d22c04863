"""The private area's signing page: a logged-in person signs or seals PDFs in the browser and downloads the result.

The platform signs exactly as an integrator does: through :mod:`jesign_sdk`'s signing (``client.signing``, a
PAdES B-T signature over the trust provider's CSC 2.0 API, time-stamped by its ``signatures/timestamp``), with the
person's SSO access token kept from the login (:data:`~mock_provider.web.platform_pages.ACCESS_TOKEN`). The CSC
calls go to the app in-process (:mod:`~mock_provider.web.in_process`), so every rule of the CSC API applies as
over HTTP: step 6 done (``service_not_open``), the ``sign`` delegation for a collaborator
(``sign_delegation_required``), ``seal`` for a seal (``seal_delegation_required``), the SMS code and its lockout.

Signing with the personal certificate takes two pages, as at the platform: "Recevoir le code" (``sendOTP`` for the
personal credential), then one form with the PDF file(s) and the code, whose answer is the signed PDF itself (a ZIP
for several). Sealing (the firm's SCAL1 seal) needs no code: the files and the firm. The documents live in the
request's memory only: nothing is written, kept or logged, as the platform keeps no documents of its own signing.
An expired access token sends the person to log in again (silent while their SSO session lasts).
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, current_app, redirect, request, session, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from jesign_sdk import APIStatusError, Client, JesignError, OtpRequest, PdfRefusedError, Tokens
from jesign_sdk.signing import MAX_PDF_BYTES, CscBackend
from mock_provider.http_common.pages import Answer, Problem, error_page, french, page, protect
from mock_provider.http_common.services import services
from mock_provider.web.in_process import in_process_session
from mock_provider.web.platform_pages import ACCESS_TOKEN
from mock_provider.web.private_area import common, gate

bp = Blueprint("signing_pages", __name__, template_folder="templates")

#: At most this many PDFs in one form (the credential's ``multisign`` bounds one authorization too).
MAX_FILES = 10
#: The most a form may carry: as many PDFs of the SDK's largest size, and room for the fields.
MAX_UPLOAD_BYTES = MAX_FILES * MAX_PDF_BYTES + 64 * 1024


@bp.before_request
def _upload_limit() -> None:
    """Refuse a larger body before anything reads it (registered before the CSRF check, which reads the form)."""
    request.max_content_length = MAX_UPLOAD_BYTES


protect(bp)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_: RequestEntityTooLarge) -> Answer:
    problem = Problem(
        "documents_too_large", 413, f"Les documents dépassent {MAX_UPLOAD_BYTES // (1024 * 1024)} Mo au total."
    )
    return error_page(problem, title="Documents trop volumineux")


#: The session key saying a signing code was sent (its phone's last digits), so page 2 shows the code's field.
_CODE_SENT = "platform_signing_code"


class _CodeRefused(JesignError):
    """The code typed was refused; the SDK would ask again, the page asks the person instead (a JesignError, so
    that the SDK lets it through as its own)."""

    def __init__(self, request: OtpRequest) -> None:
        super().__init__(request.refused or "otp_invalid")
        self.request = request


class _TypedCode:
    """The code the person typed, given once (a refused code is shown as such, never retried)."""

    interactive = False

    def __init__(self, code: str) -> None:
        self._code = code

    def get_code(self, request: OtpRequest) -> str:
        if request.refused is not None:
            raise _CodeRefused(request)
        return self._code


def _client() -> Client | None:
    """The SDK's client for the person logged in, over the app in-process; None when the token has expired."""
    kept = session.get(ACCESS_TOKEN)
    now = services().clock.now().timestamp()  # the SSO judges its tokens by the mock's clock
    if not isinstance(kept, dict) or int(kept.get("expires_at", 0)) <= now + 30:
        return None
    app: Flask = current_app.extensions["jesign_web"]
    tokens = Tokens(access_token=str(kept["token"]), expires_at=datetime.fromtimestamp(int(kept["expires_at"]), UTC))
    base_url = str(services().config.base_url)
    return Client(base_url, session=in_process_session(app), tokens=tokens, max_retries=0, clock=services().clock.now)


def _page(
    user: str, *, problem: Problem | None = None, status: int = 200, form: dict[str, Any] | None = None
) -> Answer:
    context = common(user)
    firms = context["me"]["firms"]
    seal_firms = [f for f in firms if f["role"] == "expert-comptable" or "seal" in f["delegations"]]
    return page(
        "web/platform/signing.html",
        status,
        code_sent=session.get(_CODE_SENT),
        seal_firms=seal_firms,
        problem=problem,
        form=form or {},
        **context,
    )


def _refusal(exc: Exception) -> Problem:
    """An SDK error as the page shows it, with the provider's code."""
    if isinstance(exc, _CodeRefused):
        # No "tries left": the request's count is the SDK's bound for one operation, not the provider's.
        code = exc.request.refused or "otp_invalid"
        return Problem(code, 400, french(code, "Le code a été refusé."))
    if isinstance(exc, APIStatusError):
        code = exc.code or "signing_refused"
        return Problem(code, exc.status_code if 400 <= exc.status_code < 500 else 502, french(code, exc.message))
    if isinstance(exc, PdfRefusedError):
        return Problem(exc.code, 400, str(exc))
    return Problem("signing_failed", 502, "La signature n'a pas abouti : réessayez dans un instant.")


def _refused(user: str, exc: JesignError, *, form: dict[str, Any] | None = None) -> Answer:
    """The page again with the refusal; a token the SSO no longer takes (revoked, or the clock moved past it) sends
    the person to log in again instead."""
    if isinstance(exc, APIStatusError) and exc.status_code == 401:
        session.pop(ACCESS_TOKEN, None)
        return redirect(url_for("platform_pages.login"), 303)
    problem = _refusal(exc)
    return _page(user, problem=problem, status=problem.status, form=form)


def _start() -> Answer | tuple[str, Client]:
    user = gate()
    if not isinstance(user, str):
        return user
    client = _client()
    if client is None:
        return redirect(url_for("platform_pages.login"), 303)  # the token expired: log in again
    return user, client


@bp.get("/platform/espace-prive/signature")
def signing() -> Answer:
    """ "Signer et sceller": receive the code, then sign; or seal with a firm's seal."""
    user = gate()
    if not isinstance(user, str):
        return user
    return _page(user)


@bp.post("/platform/espace-prive/signature/code")
def send_code() -> Answer:
    """ "Recevoir le code": ``sendOTP`` for the person's credential."""
    started = _start()
    if not isinstance(started, tuple):
        return started
    user, client = started
    try:
        credential = client.signing.credential()
        client.signing.csc.send_otp(credential.id)
    except JesignError as exc:
        return _refused(user, exc)
    session[_CODE_SENT] = credential.otp_last_digits or ""
    return _page(user)


@bp.post("/platform/espace-prive/signature")
def sign() -> Answer:
    """The PDF file(s) and the code: answers the signed PDF (a ZIP for several) as a download."""
    started = _start()
    if not isinstance(started, tuple):
        return started
    user, client = started
    documents = _documents()
    if isinstance(documents, Problem):
        return _page(user, problem=documents, status=documents.status)
    code = request.form.get("otp", "").strip()
    if not (len(code) == 6 and code.isdigit()):
        problem = Problem("otp_malformed", 400, french("otp_malformed", "six digits"))
        return _page(user, problem=problem, status=400)
    backend = client.signing.backend
    if isinstance(backend, CscBackend):
        backend.can_send_code = False  # the code was sent by "Recevoir le code": none is sent again
    try:
        signed = client.signing.sign_pdfs([data for _, data in documents], otp_source=_TypedCode(code), level="B-T")
    except JesignError as exc:
        return _refused(user, exc)
    session.pop(_CODE_SENT, None)
    return _download(documents, signed, suffix="signe")


@bp.post("/platform/espace-prive/signature/cachet")
def seal() -> Answer:
    """The PDF file(s) and the firm: answers the sealed PDF (a ZIP for several) as a download."""
    started = _start()
    if not isinstance(started, tuple):
        return started
    user, client = started
    documents = _documents()
    if isinstance(documents, Problem):
        return _page(user, problem=documents, status=documents.status)
    firm_id = request.form.get("firm", "")
    if not firm_id:
        problem = Problem("firm_required", 400, "Choisissez le cabinet dont le cachet scelle.")
        return _page(user, problem=problem, status=400)
    try:
        sealed = client.signing.seal_pdfs([data for _, data in documents], firm_id=firm_id, level="B-T")
    except JesignError as exc:
        return _refused(user, exc, form={"firm": firm_id})
    return _download(documents, sealed, suffix="scelle")


def _documents() -> list[tuple[str, bytes]] | Problem:
    """The uploaded PDFs, in memory only."""
    uploads = [f for f in request.files.getlist("documents") if f.filename]
    if not uploads:
        return Problem("document_required", 400, "Choisissez au moins un document PDF.")
    if len(uploads) > MAX_FILES:
        return Problem("too_many_documents", 400, f"Au plus {MAX_FILES} documents à la fois.")
    return [(secure_filename(f.filename or "") or "document.pdf", f.read()) for f in uploads]


def _download(documents: list[tuple[str, bytes]], results: list[bytes], *, suffix: str) -> Response:
    """The result as the answer's attachment: the PDF itself, or a ZIP of them."""
    names = [_named(name, suffix) for name, _ in documents]
    if len(results) == 1:
        body, name, mimetype = results[0], names[0], "application/pdf"
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for entry, data in zip(names, results, strict=True):
                archive.writestr(entry, data)
        body, name, mimetype = buffer.getvalue(), f"documents-{suffix}s.zip", "application/zip"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _named(filename: str, suffix: str) -> str:
    stem = filename[:-4] if filename.lower().endswith(".pdf") else filename
    return f"{stem}-{suffix}.pdf"
