"""``/console``: the control plane for a developer's browser.

One page shows the SMS and e-mail outbox (with the codes), the registrations with their state, the review queue
(approve, reject), the clock (advance it, or back to real time), the one-shot scenarios, the certificates
(download, revoke), the webhooks sent (read only) and the latest requests; ``/console/registrations/<id>`` shows a
registration's event log. Registered only when the ``control_plane`` setting is on, like ``/_mock``, and with the
same lack of authentication (the mock is for a loopback address). Actions call the same core functions as
``/_mock`` (:mod:`mock_provider.core.control`); each answers with a redirect to the page (post/redirect/get) or,
when refused, the page with the problem and its code.
"""

from __future__ import annotations

import re
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from flask import Blueprint, Response, flash, redirect, request, url_for

from mock_provider.core import control
from mock_provider.core.errors import MockError
from mock_provider.core.misbehaviour import scenarios
from mock_provider.core.pki.authority import REVOCATION_REASONS
from mock_provider.http_common.pages import Answer, Problem, page, protect
from mock_provider.http_common.services import services

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
    return page(
        "web/console/index.html",
        status,
        problem=problem,
        now=svc.clock.now(),
        frozen=svc.clock.frozen,
        advances=ADVANCES,
        messages=[m.as_json() for m in control.messages(svc, limit=_LIMIT)],
        registrations=control.registrations(svc, limit=_LIMIT),
        reviews=svc.registrations.pending_reviews(),
        rejection_reasons=scenarios.REJECTION_REASONS,
        scenarios=[s.as_json() for s in control.pending_scenarios(svc)],
        scenario_kinds=scenarios.KINDS,
        certificates=[_certificate(c) for c in control.certificates(svc, limit=_LIMIT)],
        revocation_reasons=REVOCATION_REASONS,
        requests=[_request(r) for r in control.request_history(svc, limit=_LIMIT)],
        webhook_deliveries=[d.as_json() for d in svc.webhooks.deliveries(limit=_LIMIT)],
    )


def _redacted(path: str) -> str:
    """A recorded path without the hand-off's session token (a bearer secret of the applicant)."""
    return _SESSION_TOKEN.sub(r"\1…", path)


def _certificate(summary: control.CertificateSummary) -> dict[str, Any]:
    record = summary.record
    return {
        "id": record.id,
        "profile": record.profile,
        "subject": summary.readable_subject,
        "serial_number": format(record.serial, "x"),
        "not_after": record.not_after.isoformat(),
        "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
        "revocation_reason": record.revocation_reason,
    }


def _request(summary: control.RequestSummary) -> dict[str, Any]:
    return {
        "method": summary.method,
        "path": _redacted(summary.path),
        "status": summary.status,
        "ms": summary.duration_ms,
        "at": summary.at.isoformat(),
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
    if seconds <= 0:
        return _console(Problem("invalid_clock", 400, "Avancez l'horloge d'un nombre de secondes positif."), 400)
    try:
        now = control.advance_clock(services(), seconds)
    except MockError as exc:
        return _console(Problem.of(exc), exc.status)
    return _done(f"Horloge avancée de {seconds} s : {now.isoformat()}", "clock")


@bp.post("/clock/now")
def clock_to_now() -> Answer:
    """Back to real time (``DELETE /_mock/clock``)."""
    now = control.reset_clock(services())
    return _done(f"Horloge revenue à l'heure réelle : {now.isoformat()}", "clock")


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
        control.revoke_certificate(services(), certificate_id, request.form.get("reason"))
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
    except ValueError:
        return _console(Problem("invalid_scenario", 400, "La valeur est un nombre entier."), 400)
    try:
        entry = control.enqueue_scenario(
            services(),
            kind=request.form.get("kind", ""),
            target=request.form.get("target", "").strip() or None,
            value=value,
        )
    except MockError as exc:
        return _console(Problem.of(exc), exc.status)
    return _done(f"Scénario {entry.kind} ajouté ({entry.id}).", "scenarios")


@bp.post("/scenarios/clear")
def clear_scenarios() -> Answer:
    control.clear_scenarios(services())
    return _done("Scénarios en attente supprimés.", "scenarios")


@bp.post("/reset")
def reset() -> Answer:
    control.reset(services())
    return _done("Le mock est revenu à son jeu de données initial.", "top")


@bp.get("/registrations/<registration_id>")
def registration(registration_id: str) -> Answer:
    svc = services()
    return page(
        "web/console/registration.html",
        reg=svc.registrations.get(registration_id),
        events=svc.registrations.event_log(registration_id),
    )
