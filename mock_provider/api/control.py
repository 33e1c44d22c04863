"""``/_mock``: the control plane. Outbox, clock, review queue, scenarios, faults, rule breakages, request history,
certificates, the trust provider's API keys, reset.

Registered only when the ``control_plane`` setting is on (the default); off, every path here answers 404. It has
no authentication of its own: the mock is for development and CI, on a loopback address. Each view reads the
request and calls the core (:mod:`mock_provider.core.control`, which the console at ``/console`` calls too).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy.orm import Session

from mock_provider.api.common import json_body, ok, optional
from mock_provider.core import api_keys, control, outbox
from mock_provider.core.clock import ensure_utc
from mock_provider.core.errors import InvalidInput, NotFound
from mock_provider.core.misbehaviour import fault_store, faults
from mock_provider.core.misbehaviour.catalogue import CATALOGUE
from mock_provider.http_common.services import services

bp = Blueprint("control", __name__, url_prefix="/_mock")


@bp.get("/outbox")
def list_outbox() -> Response:
    channel = request.args.get("channel")
    recipient = request.args.get("recipient")
    found = control.messages(services(), channel=channel, recipient=recipient, limit=_limit())
    return ok({"data": [m.as_json() for m in found]})


@bp.get("/outbox/<message_id>/attachments/<attachment_id>")
def download_attachment(message_id: str, attachment_id: str) -> Response:
    """One attachment of an e-mail, as the file it is."""
    with services().db.read() as session:
        found = outbox.attachment(session, message_id, attachment_id)
    if found is None:
        raise NotFound(f"no attachment {attachment_id} to message {message_id}", code="attachment_not_found")
    answer = Response(found.content, mimetype=found.media_type)
    answer.headers["Content-Disposition"] = f'attachment; filename="{found.name}"'
    return answer


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
    control.set_clock(services(), instant, frozen=frozen)
    return ok(_clock_json())


@bp.delete("/clock")
def reset_clock() -> Response:
    """Back to real time: the wall clock, running."""
    control.reset_clock(services())
    return ok(_clock_json())


@bp.post("/clock/advance")
def advance_clock() -> Response:
    seconds = optional(json_body(), "seconds", float, code="invalid_clock")
    if seconds is None:
        raise InvalidInput(
            "seconds must be a number",
            code="invalid_clock",
            errors=[{"field": "seconds", "code": "invalid", "detail": "a number of seconds, -1e9 to 1e9"}],
        )
    control.advance_clock(services(), seconds)
    return ok(_clock_json())


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
    return ok({"data": control.registrations(services())})


@bp.get("/registrations/<registration_id>/events")
def registration_events(registration_id: str) -> Response:
    return ok({"data": services().registrations.event_log(registration_id)})


@bp.get("/scenarios")
def list_scenarios() -> Response:
    return ok({"data": [s.as_json() for s in control.pending_scenarios(services())]})


@bp.post("/scenarios")
def enqueue_scenario() -> Response:
    body = json_body()
    kind = optional(body, "kind", str, code="invalid_scenario") or ""
    target = optional(body, "target", str, code="invalid_scenario")
    value = optional(body, "value", int, code="invalid_scenario")
    entry = control.enqueue_scenario(services(), kind=kind, target=target, value=value)
    return ok(entry.as_json(), 201)


@bp.delete("/scenarios")
def clear_scenarios() -> Response:
    control.clear_scenarios(services())
    return Response(status=204)


@bp.get("/requests")
def request_history() -> Response:
    return ok({"data": [r.as_json() for r in control.request_history(services(), limit=_limit())]})


@bp.get("/certificates")
def list_certificates() -> Response:
    return ok({"data": [c.as_json() for c in control.certificates(services())]})


@bp.post("/certificates/<certificate_id>/revoke")
def revoke_certificate(certificate_id: str) -> Response:
    body = json_body() if request.content_length else {}
    reason = optional(body, "reason", str, code="invalid_revocation_reason")
    record = control.revoke_certificate(services(), certificate_id, reason)
    assert record.revoked_at is not None
    return ok({"id": record.id, "revoked_at": record.revoked_at.isoformat(), "reason": record.revocation_reason})


@bp.post("/api-keys")
def issue_api_key() -> Response:
    """A new operator API key for ``owner`` (``name`` optional): the key is in this answer only, stored hashed."""
    body = json_body()
    with services().db.transaction() as session:
        issued = api_keys.issue(session, owner=body.get("owner"), name=body.get("name"), now=services().clock.now())
    return ok(issued, 201)


@bp.get("/api-keys")
def list_api_keys() -> Response:
    """The keys, without the keys themselves (their first characters only, ``prefix``)."""
    with services().db.read() as session:
        return ok({"data": api_keys.listed(session)})


@bp.delete("/api-keys/<key_id>")
def delete_api_key(key_id: str) -> Response:
    with services().db.transaction() as session:
        api_keys.revoke(session, key_id)
    return Response(status=204)


@bp.post("/reset")
def reset() -> Response:
    """Back to the seed (:func:`mock_provider.core.control.reset`)."""
    control.reset(services())
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
