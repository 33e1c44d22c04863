"""``/console``: the control plane for a developer's browser.

One page shows the SMS and e-mail outbox (with the codes), the registrations with their state, the review queue
(approve, reject), the clock (advance it, or back to real time), the one-shot scenarios, the certificates
(download, revoke) and the latest requests; ``/console/registrations/<id>`` shows a registration's event log.
Registered only when the ``control_plane`` setting is on, like ``/_mock``, and with the same lack of
authentication (the mock is for a loopback address). Actions call the same core functions as ``/_mock``; each
answers with a redirect to the page (post/redirect/get) or, when refused, the page with the problem and its code.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from flask import Blueprint, Response, flash, redirect, request, url_for
from sqlalchemy import select

from mock_provider.api import control
from mock_provider.api.common import services
from mock_provider.core import outbox
from mock_provider.core.errors import InvalidInput, MockError
from mock_provider.core.misbehaviour import scenarios
from mock_provider.core.models import IssuedCertificate, RequestRecord, TrustRegistration
from mock_provider.core.pki.authority import REVOCATION_REASONS
from mock_provider.core.pki.oids import readable_name
from mock_provider.web.common import Answer, Problem, page, protect

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
protect(bp)

#: The clock's advance buttons: (label, seconds).
ADVANCES = (("+1 minute", 60), ("+30 minutes", 1800), ("+1 heure", 3600), ("+24 heures", 86400), ("+48 heures", 172800))
_LIMIT = 50
_SESSION_TOKEN = re.compile(r"([?&]session=)[^&]+")


@bp.get("/")
def index() -> Answer:
    return _console()


def _console(problem: Problem | None = None, status: int = 200) -> Answer:
    svc = services()
    reviews = svc.registrations.pending_reviews()
    with svc.db.transaction() as session:
        messages = [m.as_json() for m in outbox.messages(session, limit=_LIMIT)]
        pending_scenarios = [s.as_json() for s in scenarios.pending(session)]
        registration_ids = session.scalars(
            select(TrustRegistration.id).order_by(TrustRegistration.created_at.desc()).limit(_LIMIT)
        ).all()
        certificate_ids = session.scalars(
            select(IssuedCertificate.id).order_by(IssuedCertificate.created_at.desc()).limit(_LIMIT)
        ).all()
        requests = [
            {
                "method": r.method,
                "path": _redacted(r.path),
                "status": r.status,
                "ms": r.duration_ms,
                "at": r.at.isoformat(),
            }
            for r in session.scalars(select(RequestRecord).order_by(RequestRecord.id.desc()).limit(_LIMIT)).all()
        ]
    return page(
        "web/console/index.html",
        status,
        problem=problem,
        now=svc.clock.now(),
        frozen=svc.clock.frozen,
        advances=ADVANCES,
        messages=messages,
        registrations=[svc.registrations.get(i) for i in registration_ids],
        reviews=reviews,
        rejection_reasons=scenarios.REJECTION_REASONS,
        scenarios=pending_scenarios,
        scenario_kinds=scenarios.KINDS,
        certificates=[_certificate(i) for i in certificate_ids],
        revocation_reasons=REVOCATION_REASONS,
        requests=requests,
    )


def _redacted(path: str) -> str:
    """A recorded path without the hand-off's session token (a bearer secret of the applicant)."""
    return _SESSION_TOKEN.sub(r"\1…", path)


def _certificate(certificate_id: str) -> dict[str, Any]:
    record = services().pki.get_certificate(certificate_id)
    return {
        "id": record.id,
        "profile": record.profile,
        "subject": readable_name(record.certificate.subject),
        "serial_number": format(record.serial, "x"),
        "not_after": record.not_after.isoformat(),
        "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
        "revocation_reason": record.revocation_reason,
    }


def _done(message: str, anchor: str) -> Answer:
    flash(message)
    return redirect(url_for("console.index", _anchor=anchor), 303)


@bp.post("/clock/advance")
def advance_clock() -> Answer:
    try:
        seconds = int(request.form.get("seconds", ""))
    except ValueError:
        seconds = 0
    if not 0 < seconds < 10**9:
        return _console(Problem("invalid_clock", 400, "Avancez l'horloge d'un nombre de secondes positif."), 400)
    now = services().clock.advance(timedelta(seconds=seconds))
    return _done(f"Horloge avancée de {seconds} s : {now.isoformat()}", "clock")


@bp.post("/clock/now")
def clock_to_now() -> Answer:
    """Back to real time (``DELETE /_mock/clock``)."""
    clock = services().clock
    clock.reset()
    return _done(f"Horloge revenue à l'heure réelle : {clock.now().isoformat()}", "clock")


@bp.post("/reviews/<registration_id>/approve")
def approve(registration_id: str) -> Answer:
    try:
        services().registrations.decide(registration_id, approve=True, reason=None, actor="control_plane")
    except MockError as exc:
        return _console(Problem.of(exc), exc.status)
    return _done(f"Demande {registration_id} approuvée : certificat émis.", "reviews")


@bp.post("/reviews/<registration_id>/reject")
def reject(registration_id: str) -> Answer:
    try:
        services().registrations.decide(
            registration_id, approve=False, reason=request.form.get("reason"), actor="control_plane"
        )
    except MockError as exc:
        return _console(Problem.of(exc), exc.status)
    return _done(f"Demande {registration_id} refusée.", "reviews")


@bp.post("/certificates/<certificate_id>/revoke")
def revoke(certificate_id: str) -> Answer:
    try:
        services().pki.revoke(certificate_id, request.form.get("reason", "unspecified"))
    except MockError as exc:
        return _console(Problem.of(exc), exc.status)
    return _done(f"Certificat {certificate_id} révoqué.", "certificates")


@bp.get("/certificates/<certificate_id>.pem")
def download_certificate(certificate_id: str) -> Answer:
    record = services().pki.get_certificate(certificate_id)
    response = Response(record.certificate.public_bytes(Encoding.PEM), mimetype="application/x-pem-file")
    response.headers["Content-Disposition"] = f'attachment; filename="{record.id}.pem"'
    return response


@bp.post("/scenarios")
def enqueue_scenario() -> Answer:
    raw_value = request.form.get("value", "").strip()
    try:
        value = int(raw_value) if raw_value else None
        with services().db.transaction() as session:
            entry = scenarios.enqueue(
                session,
                kind=request.form.get("kind", ""),
                target=request.form.get("target", "").strip() or None,
                value=value,
                now=services().clock.now(),
            )
    except ValueError:
        return _console(Problem("invalid_scenario", 400, "La valeur est un nombre entier."), 400)
    except InvalidInput as exc:
        return _console(Problem.of(exc), exc.status)
    return _done(f"Scénario {entry.kind} ajouté ({entry.id}).", "scenarios")


@bp.post("/scenarios/clear")
def clear_scenarios() -> Answer:
    with services().db.transaction() as session:
        scenarios.clear_pending(session)
    return _done("Scénarios en attente supprimés.", "scenarios")


@bp.post("/reset")
def reset() -> Answer:
    control.reset()
    return _done("Le mock est revenu à son jeu de données initial.", "top")


@bp.get("/registrations/<registration_id>")
def registration(registration_id: str) -> Answer:
    svc = services()
    return page(
        "web/console/registration.html",
        reg=svc.registrations.get(registration_id),
        events=svc.registrations.event_log(registration_id),
    )
