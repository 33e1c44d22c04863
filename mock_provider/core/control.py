"""The control plane's operations: what ``/_mock`` (:mod:`mock_provider.api.control`) and the developer console
(:mod:`mock_provider.web.console`) both do, written once.

The clock (set, advance, back to real time, within the instants X.509 can write), the outbox, the registrations,
the one-shot scenarios, the issued certificates, the request history and the reset to the seed. The review queue
is the registration's own (:meth:`~mock_provider.core.registration.Registrations.decide`); the rule-breakage
switches are :class:`~mock_provider.core.misbehaviour.switches.Breakages`.

Framework-free: each function takes the app's :class:`~mock_provider.core.services.MockServices` and opens its own
transaction; the caller's job is only to read the request and to show the answer (JSON or a page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mock_provider.core import accounts, outbox, sso_tokens
from mock_provider.core.errors import InvalidInput
from mock_provider.core.misbehaviour import fault_store, scenarios
from mock_provider.core.models import IssuedCertificate, RequestRecord, TrustRegistration
from mock_provider.core.pki.authority import CertificateRecord
from mock_provider.core.pki.oids import readable_name
from mock_provider.core.storage import Base

if TYPE_CHECKING:
    from mock_provider.core.misbehaviour.scenarios import ScenarioView
    from mock_provider.core.outbox import MessageView
    from mock_provider.core.registration.shapes import RegistrationView
    from mock_provider.core.services import MockServices

#: Tables a reset keeps: the PKI (hierarchy, keys, issued certificates), the shared counters (PKI revision, CRL
#: numbers; the clock kept there is set back to real time) and the SSO's settings (its signing key: every worker
#: keeps signing with the same ``kid``) and the webhooks' (their signing key, for the same reason).
KEPT_ON_RESET = frozenset(
    {"provider_keys", "pki_authorities", "certificates", "counters", "sso_settings", "webhook_settings"}
)


# -- the clock -----------------------------------------------------------------------------------------------------


def set_clock(svc: MockServices, instant: datetime, *, frozen: bool) -> None:
    """Show ``instant`` from now on, frozen or running; 400 ``invalid_clock`` outside the writable range."""
    _within_clock_range(svc, instant, "now")
    svc.clock.set(instant, frozen=frozen)
    svc.webhooks.settle()  # the webhook retries now due are sent before the answer


def advance_clock(svc: MockServices, seconds: float) -> datetime:
    """Move the clock by ``seconds`` (negative: back); the new instant. 400 ``invalid_clock`` outside the range."""
    if not -1e9 < seconds < 1e9:
        raise InvalidInput(
            "seconds must be a number",
            code="invalid_clock",
            errors=[{"field": "seconds", "code": "invalid", "detail": "a number of seconds, -1e9 to 1e9"}],
        )
    try:
        target = svc.clock.now() + timedelta(seconds=seconds)
    except OverflowError:  # past year 9999 or before year 1
        target = None
    _within_clock_range(svc, target, "seconds")
    moved = svc.clock.advance(timedelta(seconds=seconds))
    svc.webhooks.settle()  # the webhook retries now due are sent before the answer
    return moved


def reset_clock(svc: MockServices) -> datetime:
    """Back to real time: the wall clock, running. The instant it shows."""
    svc.clock.reset()
    return svc.clock.now()


def _within_clock_range(svc: MockServices, instant: datetime | None, field: str) -> None:
    """Refuse a clock at which the mock could no longer date its certificates, CRLs and OCSP answers."""
    allowed = svc.pki.clock_instants
    if instant is None or instant not in allowed:
        raise InvalidInput(
            f"the clock must stay {allowed}, so that what the mock dates from it stays writable in X.509",
            code="invalid_clock",
            errors=[{"field": field, "code": "out_of_range", "detail": str(allowed)}],
        )


# -- what the mock sent, and the registrations ---------------------------------------------------------------------


def messages(
    svc: MockServices, *, channel: str | None = None, recipient: str | None = None, limit: int = 100
) -> list[MessageView]:
    """The outbox, newest first."""
    with svc.db.read() as session:
        return outbox.messages(session, channel=channel, recipient=recipient, limit=limit)


def registrations(svc: MockServices, *, limit: int | None = None) -> list[RegistrationView]:
    """Every registration (the ``limit`` newest), newest first, as the trust API shows one."""
    query = select(TrustRegistration.id).order_by(TrustRegistration.created_at.desc())
    with svc.db.read() as session:
        ids = session.scalars(query if limit is None else query.limit(limit)).all()
    return [svc.registrations.get(registration_id) for registration_id in ids]


# -- one-shot scenarios --------------------------------------------------------------------------------------------


def pending_scenarios(svc: MockServices) -> list[ScenarioView]:
    with svc.db.read() as session:
        return scenarios.pending(session)


def enqueue_scenario(svc: MockServices, *, kind: str, target: str | None, value: int | None) -> ScenarioView:
    """Queue a one-shot scenario for the next matching call; 400 ``invalid_scenario`` for one that cannot be."""
    with svc.db.transaction() as session:
        return scenarios.enqueue(session, kind=kind, target=target, value=value, now=svc.clock.now())


def clear_scenarios(svc: MockServices) -> None:
    """Drop every scenario not yet consumed."""
    with svc.db.transaction() as session:
        scenarios.clear_pending(session)


# -- certificates and requests -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateSummary:
    """An issued certificate as the control plane lists it."""

    record: CertificateRecord

    @property
    def readable_subject(self) -> str:
        """The subject as a person reads it (``CN=..., O=...`` with the attributes' short names)."""
        return readable_name(self.record.certificate.subject)

    def as_json(self) -> dict[str, Any]:
        record = self.record
        return {
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


def certificates(svc: MockServices, *, limit: int | None = None) -> list[CertificateSummary]:
    """Every issued certificate (the ``limit`` newest), newest first."""
    query = select(IssuedCertificate.id).order_by(IssuedCertificate.created_at.desc())
    with svc.db.read() as session:
        ids = session.scalars(query if limit is None else query.limit(limit)).all()
    return [CertificateSummary(svc.pki.get_certificate(certificate_id)) for certificate_id in ids]


def revoke_certificate(svc: MockServices, certificate_id: str, reason: str | None) -> CertificateRecord:
    """Revoke an issued certificate (``unspecified`` when no reason is given); its record, revoked."""
    return svc.pki.revoke(certificate_id, reason or "unspecified")


@dataclass(frozen=True)
class RequestSummary:
    """One request the mock answered, as the history keeps it."""

    request_id: str
    method: str
    path: str
    status: int
    duration_ms: int
    at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "duration_ms": self.duration_ms,
            "at": self.at.isoformat(),
        }


def request_history(svc: MockServices, *, limit: int) -> list[RequestSummary]:
    """The ``limit`` latest requests answered (outside the control plane), newest first."""
    with svc.db.read() as session:
        rows = session.scalars(select(RequestRecord).order_by(RequestRecord.id.desc()).limit(limit)).all()
        return [RequestSummary(r.request_id, r.method, r.path, r.status, r.duration_ms, r.at) for r in rows]


# -- reset ---------------------------------------------------------------------------------------------------------


def reset(svc: MockServices) -> None:
    """Back to the seed: people, firms, delegations, clients; no registration, message, token, scenario or
    rule-breakage switch (but the configured ones); the clock back to real time. The PKI stays (:data:`KEPT_ON_RESET`).
    """
    svc.clock.reset()  # first: the seed is written at the real instant
    seed = accounts.load_seed(svc.config.seed_file)
    with svc.db.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in KEPT_ON_RESET:
                session.execute(table.delete())
        svc.breakages.replace(session, ())
        fault_store.clear(session)  # deleted with the tables above; this tells every process's copy
        sso_tokens.tokens_forgotten(session)
        accounts.apply_seed(session, seed, svc.clock.now())
