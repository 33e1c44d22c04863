"""``/_mock``: the control plane. Outbox, clock, review queue, scenarios, faults, rule breakages, request history,
certificates, reset.

Registered only when the ``control_plane`` setting is on (the default); off, every path here answers 404. It has
no authentication of its own: the mock is for development and CI, on a loopback address.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from mock_provider.api.common import json_body, ok, optional, services
from mock_provider.core import accounts, outbox
from mock_provider.core.clock import ensure_utc
from mock_provider.core.errors import InvalidInput, NotFound
from mock_provider.core.misbehaviour import fault_store, faults, scenarios
from mock_provider.core.misbehaviour.catalogue import CATALOGUE
from mock_provider.core.models import IssuedCertificate, RequestRecord, TrustRegistration
from mock_provider.core.storage import Base
from mock_provider.sso import tokens

bp = Blueprint("control", __name__, url_prefix="/_mock")

#: Tables a reset keeps: the PKI (hierarchy, keys, issued certificates), the shared counters (PKI revision, CRL
#: numbers; the clock kept there is set back to real time) and the SSO's settings (its signing key: every worker
#: keeps signing with the same ``kid``).
KEPT_ON_RESET = frozenset({"provider_keys", "pki_authorities", "certificates", "counters", "sso_settings"})


@bp.get("/outbox")
def list_outbox() -> Response:
    channel = request.args.get("channel")
    recipient = request.args.get("recipient")
    with services().db.transaction() as session:
        found = outbox.messages(session, channel=channel, recipient=recipient, limit=_limit())
    return ok({"data": [m.as_json() for m in found]})


@bp.get("/outbox/otp")
def latest_otp() -> Response:
    phone = request.args.get("phone_number", "")
    if not phone:
        raise InvalidInput("give the phone_number", code="invalid_query")
    with services().db.transaction() as session:
        message = outbox.latest_otp(session, phone)
    if message is None:
        raise NotFound(f"no delivered SMS code to {phone}", code="otp_not_found")
    return ok({"phone_number": phone, "otp": message.otp_code, "message": message.as_json()})


@bp.get("/clock")
def read_clock() -> Response:
    return ok(_clock_json())


@bp.post("/clock")
def set_clock() -> Response:
    body = json_body()
    frozen = optional(body, "frozen", bool, code="invalid_clock") or False
    raw = optional(body, "now", str, code="invalid_clock")
    try:
        instant = ensure_utc(datetime.fromisoformat(raw or ""))
    except ValueError as exc:
        raise InvalidInput(
            "now must be an ISO 8601 instant with a timezone",
            code="invalid_clock",
            errors=[{"field": "now", "code": "invalid", "detail": "such as 2027-01-31T12:00:00Z"}],
        ) from exc
    _within_clock_range(instant, "now")
    services().clock.set(instant, frozen=frozen)
    return ok(_clock_json())


@bp.delete("/clock")
def reset_clock() -> Response:
    """Back to real time: the wall clock, running."""
    services().clock.reset()
    return ok(_clock_json())


@bp.post("/clock/advance")
def advance_clock() -> Response:
    seconds = optional(json_body(), "seconds", float, code="invalid_clock")
    if seconds is None or not -1e9 < seconds < 1e9:
        raise InvalidInput(
            "seconds must be a number",
            code="invalid_clock",
            errors=[{"field": "seconds", "code": "invalid", "detail": "a number of seconds, -1e9 to 1e9"}],
        )
    try:
        target = services().clock.now() + timedelta(seconds=seconds)
    except OverflowError:  # past year 9999 or before year 1
        target = None
    _within_clock_range(target, "seconds")
    services().clock.advance(timedelta(seconds=seconds))
    return ok(_clock_json())


def _within_clock_range(instant: datetime | None, field: str) -> None:
    """Refuse a clock at which the mock could no longer date its certificates, CRLs and OCSP answers."""
    allowed = services().pki.clock_instants
    if instant is None or instant not in allowed:
        raise InvalidInput(
            f"the clock must stay {allowed}, so that what the mock dates from it stays writable in X.509",
            code="invalid_clock",
            errors=[{"field": field, "code": "out_of_range", "detail": str(allowed)}],
        )


def _clock_json() -> dict[str, Any]:
    clock = services().clock
    return {"now": clock.now().isoformat(), "frozen": clock.frozen}


@bp.get("/reviews")
def pending_reviews() -> Response:
    return ok({"data": services().registrations.pending_reviews()})


@bp.post("/reviews/<registration_id>/approve")
def approve(registration_id: str) -> Response:
    return ok(services().registrations.decide(registration_id, approve=True, reason=None, actor="control_plane"))


@bp.post("/reviews/<registration_id>/reject")
def reject(registration_id: str) -> Response:
    reason = optional(json_body(), "reason", str, code="invalid_rejection_reason")
    return ok(services().registrations.decide(registration_id, approve=False, reason=reason, actor="control_plane"))


@bp.get("/registrations")
def list_registrations() -> Response:
    with services().db.transaction() as session:
        rows = session.scalars(select(TrustRegistration).order_by(TrustRegistration.created_at.desc())).all()
        ids = [r.id for r in rows]
    return ok({"data": [services().registrations.get(i) for i in ids]})


@bp.get("/registrations/<registration_id>/events")
def registration_events(registration_id: str) -> Response:
    return ok({"data": services().registrations.event_log(registration_id)})


@bp.get("/scenarios")
def list_scenarios() -> Response:
    with services().db.transaction() as session:
        return ok({"data": [s.as_json() for s in scenarios.pending(session)]})


@bp.post("/scenarios")
def enqueue_scenario() -> Response:
    body = json_body()
    kind = optional(body, "kind", str, code="invalid_scenario") or ""
    target = optional(body, "target", str, code="invalid_scenario")
    value = optional(body, "value", int, code="invalid_scenario")
    with services().db.transaction() as session:
        entry = scenarios.enqueue(session, kind=kind, target=target, value=value, now=services().clock.now())
    return ok(entry.as_json(), 201)


@bp.delete("/scenarios")
def clear_scenarios() -> Response:
    with services().db.transaction() as session:
        scenarios.clear_pending(session)
    return Response(status=204)


@bp.get("/requests")
def request_history() -> Response:
    with services().db.transaction() as session:
        rows = session.scalars(select(RequestRecord).order_by(RequestRecord.id.desc()).limit(_limit())).all()
        data = [
            {
                "request_id": r.request_id,
                "method": r.method,
                "path": r.path,
                "status": r.status,
                "duration_ms": r.duration_ms,
                "at": r.at.isoformat(),
            }
            for r in rows
        ]
    return ok({"data": data})


@bp.get("/certificates")
def list_certificates() -> Response:
    with services().db.transaction() as session:
        ids = session.scalars(select(IssuedCertificate.id).order_by(IssuedCertificate.created_at.desc())).all()
    data = []
    for certificate_id in ids:
        record = services().pki.get_certificate(certificate_id)
        data.append(
            {
                "id": record.id,
                "profile": record.profile,
                "level": record.level,
                "subject": record.subject,
                "serial_number": format(record.serial, "x"),
                "issuer": record.issuer_role,
                "not_before": record.not_before.isoformat(),
                "not_after": record.not_after.isoformat(),
                "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
                "revocation_reason": record.revocation_reason,
            }
        )
    return ok({"data": data})


@bp.post("/certificates/<certificate_id>/revoke")
def revoke_certificate(certificate_id: str) -> Response:
    body = json_body() if request.content_length else {}
    reason = optional(body, "reason", str, code="invalid_revocation_reason") or "unspecified"
    record = services().pki.revoke(certificate_id, reason)
    assert record.revoked_at is not None
    return ok({"id": record.id, "revoked_at": record.revoked_at.isoformat(), "reason": record.revocation_reason})


@bp.post("/reset")
def reset() -> Response:
    """Back to the seed: people, firms, delegations, clients; no registration, message, token or scenario; the
    clock back to real time."""
    svc = services()
    svc.clock.reset()  # first: the seed is written at the real instant
    seed = accounts.load_seed(svc.config.seed_file)
    with svc.db.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in KEPT_ON_RESET:
                session.execute(table.delete())
        svc.breakages.replace(session, ())
        fault_store.clear(session)  # deleted with the tables above; this tells every process's copy
        tokens.tokens_forgotten(session)
        accounts.apply_seed(session, seed, svc.clock.now())
    return ok({"status": "reset"})


def _limit() -> int:
    try:
        value = int(request.args.get("limit", "100"))
    except ValueError as exc:
        raise InvalidInput("limit must be an integer", code="invalid_query") from exc
    if not 1 <= value <= 1000:
        raise InvalidInput("limit is between 1 and 1000", code="invalid_query")
    return value


def _faults_view(session: Session) -> dict[str, Any]:
    """The standing rule's settings (``active`` false when none is set), and the rules added beside it."""
    rules = fault_store.rules(session)
    standing = next((rule for rule in rules if rule.id == fault_store.STANDING_ID), None)
    body = standing.as_json() if standing else faults.inactive_json()
    body["added"] = [rule.as_json() for rule in rules if rule.id != fault_store.STANDING_ID]
    return body


@bp.get("/faults")
def read_faults() -> Response:
    with services().db.read() as session:
        return ok(_faults_view(session))


@bp.put("/faults")
def put_faults() -> Response:
    spec = faults.parse(json_body())
    with services().db.transaction() as session:
        fault_store.set_standing(session, spec, services().clock.now())
        return ok(_faults_view(session))


@bp.post("/faults")
def add_fault() -> Response:
    spec = faults.parse(json_body())
    with services().db.transaction() as session:
        rule = fault_store.add(session, spec, services().clock.now())
    return ok(rule.as_json(), 201)


@bp.delete("/faults")
def clear_faults() -> Response:
    with services().db.transaction() as session:
        fault_store.clear(session)
    return Response(status=204)


@bp.get("/breakages")
def read_breakages() -> Response:
    """Every rule-breakage switch (id, the rule it breaks, the conformance check that catches it) and which are on."""
    return ok(_breakages_json(services().breakages.active()))


@bp.put("/breakages")
def put_breakages() -> Response:
    """Turn on exactly the switches named in ``active`` (the configured ones stay on)."""
    wanted = json_body().get("active")
    if not isinstance(wanted, list) or not all(isinstance(item, str) for item in wanted):
        raise InvalidInput(
            "active must be a list of breakage ids",
            code="invalid_breakages",
            errors=[{"field": "active", "code": "invalid_type", "detail": "an array of strings"}],
        )
    with services().db.transaction() as session:
        active = services().breakages.replace(session, wanted)
    return ok(_breakages_json(active))


@bp.delete("/breakages")
def clear_breakages() -> Response:
    with services().db.transaction() as session:
        services().breakages.replace(session, ())
    return Response(status=204)


def _breakages_json(active: frozenset[str]) -> dict[str, Any]:
    return {
        "active": sorted(active),
        "configured": sorted(services().breakages.configured),
        "data": [breakage.as_json() for breakage in CATALOGUE.values()],
    }
