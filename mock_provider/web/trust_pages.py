"""The trust provider's screens (Universign): steps 2 to 5 of the registration, reached through the hand-off.

The hand-off URL ``/trust/enroll/<registration>?session=<token>`` (made by the core for the platform API's step 2
and Universign's ``POST /v1/registrations``) opens the registration in this browser: the token is checked, kept in
the session cookie and dropped from the address bar (a redirect), so that it does not linger in the history or
leak in a ``Referer``. A token opens its own registration only; a later hand-off for the same registration renews
the token and the older browser session stops working, as the API's does.

``GET /trust/enroll/<registration>`` shows the page for the registration's state; each form posts to one handler
that calls one core method. Once the request is decided (or cancelled), the last page links back to the
registration's ``redirect_url`` with ``registration_id`` and ``outcome`` (the core's ``return_url``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, session, url_for

from mock_provider.core.documents import ISO3166_ALPHA3, DocumentError, parse_document_type
from mock_provider.core.documents.kinds import EUROPEAN_ID_CARD_COUNTRIES
from mock_provider.core.errors import MockError, NotFound
from mock_provider.core.registration.texts import AGREEMENT
from mock_provider.http_common.pages import Answer, Problem, error_page, page, protect
from mock_provider.http_common.services import services

bp = Blueprint("trust_pages", __name__, url_prefix="/trust/enroll", template_folder="templates")
protect(bp)

_TOKENS = "trust_sessions"
#: How many registrations one browser keeps open at once (the cookie must stay small).
_KEPT = 4
#: The document types offered on the choice page; a passport may be of any country.
DOCUMENT_CHOICES = (
    ("id_card:fra", "Carte nationale d'identité française"),
    ("passport", "Passeport"),
    ("driving_licence:fra", "Permis de conduire français"),
    ("residence_permit:fra", "Titre de séjour français"),
    ("id_card", "Carte d'identité d'un autre pays européen (UE, EEE, Suisse)"),
)
COUNTRIES = sorted(ISO3166_ALPHA3)
EUROPEAN_COUNTRIES = sorted(EUROPEAN_ID_CARD_COUNTRIES - {"FRA"})


def _here(registration_id: str) -> Answer:
    return redirect(url_for("trust_pages.enrollment", registration_id=registration_id), 303)


def _authorised(registration_id: str) -> str:
    """The registration id, once this browser's session token for it is checked (else "not found")."""
    tokens = session.get(_TOKENS)
    token = tokens.get(registration_id) if isinstance(tokens, dict) else None
    services().registrations.authorise(registration_id, token if isinstance(token, str) else None)
    return registration_id


@bp.get("/<registration_id>")
def enrollment(registration_id: str) -> Answer:
    token = request.args.get("session")
    if token is not None:
        services().registrations.authorise(registration_id, token)
        tokens = session.get(_TOKENS)
        kept = {k: v for k, v in tokens.items() if k != registration_id} if isinstance(tokens, dict) else {}
        kept = dict(list(kept.items())[-(_KEPT - 1) :])
        kept[registration_id] = token
        session[_TOKENS] = kept
        return _here(registration_id)
    return _page(_authorised(registration_id))


def _page(
    registration_id: str,
    *,
    problem: Problem | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
    document_type: str | None = None,
    notice: str | None = None,
    side: str | None = None,
) -> Answer:
    """The page of the registration's current state."""
    view = services().registrations.get(registration_id)
    config = services().config
    context: dict[str, Any] = {
        "reg": view,
        "problem": problem,
        "form": form or {},
        "otp_minutes": config.otp_validity_seconds // 60,
        "notice": notice,
    }
    state = view["state"]
    if state == "created":
        return page("web/trust/identity.html", status, **context)
    if state == "identity_submitted":
        if document_type is not None:
            kind = parse_document_type(document_type)
            if not kind.needs_back:
                return page("web/trust/upload.html", status, kind=kind, **context)
            # Recto and verso on two pages, as the guide shows them: the recto is kept until the verso comes.
            staged = services().registrations.staged_recto(registration_id) == kind.code
            template = "web/trust/upload_verso.html" if staged and side != "recto" else "web/trust/upload_recto.html"
            return page(template, status, kind=kind, **context)
        return page(
            "web/trust/document_type.html",
            status,
            choices=DOCUMENT_CHOICES,
            countries=COUNTRIES,
            european_countries=EUROPEAN_COUNTRIES,
            **context,
        )
    if state == "documents_submitted":
        if view["agreement"]["version"] is None:
            return page("web/trust/agreement.html", status, agreement=AGREEMENT, **context)
        return page("web/trust/code.html", status, **context)
    if state in ("agreement_signed", "pending_validation"):
        return page("web/trust/pending.html", status, **context)
    if state == "certificate_issued":
        return page("web/trust/issued.html", status, **context)
    return page("web/trust/closed.html", status, **context)  # rejected or cancelled


def _refused(registration_id: str, exc: MockError, **kwargs: Any) -> Answer:
    return _page(registration_id, problem=Problem.of(exc), status=exc.status, **kwargs)


@bp.post("/<registration_id>/identity")
def submit_identity(registration_id: str) -> Answer:
    """Step 2: birth date and the two consent boxes."""
    reg = _authorised(registration_id)
    form = {
        "birth_date": request.form.get("birth_date", ""),
        "accept_terms": request.form.get("accept_terms") == "on",
        "accept_privacy_policy": request.form.get("accept_privacy_policy") == "on",
    }
    try:
        services().registrations.submit_identity(
            reg,
            birth_date=form["birth_date"],
            accept_terms=form["accept_terms"],
            accept_privacy_policy=form["accept_privacy_policy"],
        )
    except MockError as exc:
        return _refused(reg, exc, form=form)
    return _here(reg)


@bp.get("/<registration_id>/document")
def document_form(registration_id: str) -> Answer:
    """Step 3, after "Sélectionnez le type de pièce d'identité": the recto (and verso) upload form."""
    reg = _authorised(registration_id)
    choice = request.args.get("type", "")
    if choice == "passport":
        document_type = f"passport:{request.args.get('country', '')}"
    elif choice == "id_card":
        document_type = f"id_card:{request.args.get('card_country', '')}"
    else:
        document_type = choice
    try:
        parse_document_type(document_type)
    except DocumentError as exc:
        return _refused(reg, exc)
    return _page(reg, document_type=document_type.lower(), side=request.args.get("side"))


@bp.post("/<registration_id>/document/recto")
def stage_recto(registration_id: str) -> Answer:
    """Step 3, first page: the recto, judged and kept; then the verso's page."""
    reg = _authorised(registration_id)
    document_type = request.form.get("document_type", "")
    front = request.files.get("front")
    try:
        services().registrations.stage_recto(
            reg, document_type=document_type, front=front.read() or None if front else None
        )
    except DocumentError as exc:
        if exc.code == "invalid_document_type":
            return _refused(reg, exc)
        return _refused(reg, exc, document_type=document_type.lower(), side="recto")
    except MockError as exc:
        return _refused(reg, exc)
    return redirect(url_for("trust_pages.document_form", registration_id=reg, type=document_type.lower()), 303)


@bp.post("/<registration_id>/document")
def submit_documents(registration_id: str) -> Answer:
    """Step 3: the recto, the verso when the type has one, the number (or the MRZ)."""
    reg = _authorised(registration_id)
    document_type = request.form.get("document_type", "")
    front, back = request.files.get("front"), request.files.get("back")
    form = {"document_number": request.form.get("document_number", ""), "mrz": request.form.get("mrz", "")}
    try:
        services().registrations.submit_documents(
            reg,
            document_type=document_type,
            document_number=form["document_number"],
            front=front.read() or None if front else None,
            back=back.read() or None if back else None,
            mrz=form["mrz"].strip() or None,
        )
    except DocumentError as exc:
        if exc.code == "invalid_document_type":
            return _refused(reg, exc)
        return _refused(reg, exc, form=form, document_type=document_type.lower())
    except MockError as exc:
        return _refused(reg, exc, form=form)
    return _here(reg)


@bp.post("/<registration_id>/agreement/consent")
def consent(registration_id: str) -> Answer:
    """Step 4: ticking the consent box sends the SMS code."""
    reg = _authorised(registration_id)
    if request.form.get("accept") != "on":
        exc = MockError(
            "tick the box to accept the subscription agreement",
            code="agreement_not_accepted",
            errors=[{"field": "accept", "code": "agreement_not_accepted", "detail": "tick the box"}],
        )
        return _refused(reg, exc)
    try:
        services().registrations.consent_agreement(
            reg, version=request.form.get("version"), sha256=request.form.get("sha256")
        )
    except MockError as exc:
        return _refused(reg, exc)
    return _here(reg)


@bp.post("/<registration_id>/agreement/resend")
def resend(registration_id: str) -> Answer:
    reg = _authorised(registration_id)
    try:
        services().registrations.resend_code(reg)
    except MockError as exc:
        return _refused(reg, exc)
    return _page(reg, notice="Un nouveau code vous a été envoyé par SMS.")


@bp.post("/<registration_id>/agreement/sign")
def sign(registration_id: str) -> Answer:
    """Step 4 end: the SMS code signs the agreement; the request goes to review."""
    reg = _authorised(registration_id)
    try:
        services().registrations.sign_agreement(reg, code=request.form.get("otp", ""))
    except MockError as exc:
        return _refused(reg, exc)
    return _here(reg)


@bp.post("/<registration_id>/cancel")
def cancel(registration_id: str) -> Answer:
    reg = _authorised(registration_id)
    try:
        services().registrations.cancel(reg, actor="applicant")
    except MockError as exc:
        return _refused(reg, exc)
    return _here(reg)


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound) -> Answer:
    return error_page(Problem.of(exc), title="Demande introuvable")
