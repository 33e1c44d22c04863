"""The certification authority: the hierarchy's life cycle, issuance, revocation and status.

:class:`Pki` generates the TEST hierarchy on first use and persists it; later starts load the same one, and
:meth:`Pki.regenerate` replaces it on demand. It issues natural-person and seal certificates with keys it
generates and keeps (remote signing: subscribers never hold their keys), revokes them with RFC 5280 reasons, and
answers "what was this certificate's status at that instant" for OCSP and CRLs.

Every state change is one transaction and bumps the ``pki_revision`` counter, which the OCSP and CRL caches of
every worker process compare against to drop stale answers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mock_provider.config import KEY_ALGORITHMS, MockConfig
from mock_provider.core.clock import Clock, ensure_utc
from mock_provider.core.errors import Conflict, InvalidInput, NotFound
from mock_provider.core.ids import new_id
from mock_provider.core.misbehaviour.areas.pki import (
    CRL_DROPS_OLD_REVOCATIONS,
    CRL_LISTS_OTHER_CAS_REVOCATIONS,
    CRL_SEAL_CA_OMITS_REVOKED,
    END_ENTITY_OUTLIVES_ITS_CA,
    OCSP_ANSWERS_FOR_OTHER_CA,
    OCSP_REVOKED_ONLY_WHEN_REVOKED,
)
from mock_provider.core.misbehaviour.switches import Breakages
from mock_provider.core.models import Authority, Counter, IssuedCertificate
from mock_provider.core.pki import profiles
from mock_provider.core.pki.keys import KeyVault, PrivateKey, PublicKey
from mock_provider.core.pki.times import EARLIEST, LATEST, InstantRange
from mock_provider.core.storage import Database, locking

REVISION_COUNTER = "pki_revision"


#: RFC 5280 section 5.3.1 reasons accepted for a revocation (removeFromCRL only exists in delta CRLs).
REVOCATION_REASONS = tuple(r.name for r in x509.ReasonFlags if r is not x509.ReasonFlags.remove_from_crl)

_ROOT_YEARS, _CA_YEARS, _SERVICE_YEARS = 25, 15, 10
#: The hierarchy is dated two years back, so that a test may move the clock back (a year, say) and still get
#: certificates, time-stamps and OCSP answers that chain at that time.
_BACKDATE = timedelta(days=731)


@dataclass(frozen=True)
class LoadedAuthority:
    """A certificate of the hierarchy with its opened key."""

    id: str
    role: str
    certificate: x509.Certificate
    key: PrivateKey

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(Encoding.DER)


#: Builds an end-entity certificate from (issuing CA, subscriber public key, serial, notBefore).
_Builder = Callable[[LoadedAuthority, PublicKey, int, datetime], x509.Certificate]


@dataclass(frozen=True)
class Hierarchy:
    generation: int
    authorities: dict[str, LoadedAuthority]

    def __getitem__(self, role: str) -> LoadedAuthority:
        return self.authorities[role]

    @property
    def root(self) -> LoadedAuthority:
        return self.authorities[profiles.ROOT]


@dataclass(frozen=True)
class CertificateRecord:
    """What the CA knows of an issued certificate."""

    id: str
    issuer_role: str
    serial: int
    profile: str
    level: str
    subject: str
    not_before: datetime
    not_after: datetime
    certificate: x509.Certificate
    key_id: str
    created_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None

    def status_at(self, now: datetime) -> Literal["valid", "revoked", "expired"]:
        """What the holder is told of the certificate at ``now``: ``revoked`` from its revocation, ``expired`` after
        its notAfter (RFC 5280 §4.1.2.5: valid through notAfter), else ``valid``. (OCSP answers another question:
        an expired certificate that was never revoked stays ``good`` there, as RFC 6960 §2.2 allows.)"""
        if self.revoked_at is not None and self.revoked_at <= now:
            return "revoked"
        return "expired" if now > self.not_after else "valid"


@dataclass(frozen=True)
class CertificateStatus:
    """The status of one certificate at one instant: ``good``, ``revoked`` or ``unknown``."""

    state: str
    revoked_at: datetime | None = None
    reason: str | None = None


GOOD = CertificateStatus("good")
UNKNOWN = CertificateStatus("unknown")


class Pki:
    """The TEST certification authority of the mock provider."""

    def __init__(
        self, db: Database, vault: KeyVault, clock: Clock, config: MockConfig, breakages: Breakages | None = None
    ) -> None:
        self.db = db
        #: The rule breakages switched on; every service that holds the PKI reads them from here.
        self.breakages = breakages or Breakages(db, config.breakages)
        self.breakages.dependent_counters.add(REVISION_COUNTER)  # a switch changes what OCSP and CRLs answer
        self.vault = vault
        self.clock = clock
        self.config = config
        self.urls = profiles.PkiUrls(config.base_url)
        self._lock = threading.Lock()
        self._hierarchy: Hierarchy | None = None
        self._hierarchy_revision = -1
        self._roles: dict[str, str] = {}

    @property
    def clock_instants(self) -> InstantRange:
        """The instants the mock clock may show, so that whatever the mock dates from it stays writable in X.509
        (see :mod:`.times`): a new hierarchy (backdated two years, its root valid 25 years), a certificate, a CRL and
        an OCSP answer. The mock's other deadlines (codes, reviews, retention) are shorter than those."""
        days = max(365 * _ROOT_YEARS, self.config.personal_validity_days, self.config.seal_validity_days)
        days = max(days, self.config.client_validity_days)
        seconds = max(self.config.crl_validity_seconds, self.config.ocsp_validity_seconds)
        longest = max(timedelta(days=days), timedelta(seconds=seconds))
        return InstantRange(EARLIEST + _BACKDATE, LATEST - longest)

    # -- hierarchy -------------------------------------------------------------------------------------------

    def hierarchy(self, revision: int | None = None) -> Hierarchy:
        """The current hierarchy, generated on first use; reloaded when another process regenerated it.

        ``revision`` is the caller's fresh reading of :meth:`revision`, to spare a second one.
        """
        revision = self.revision() if revision is None else revision
        with self._lock:
            cached, seen = self._hierarchy, self._hierarchy_revision
        if cached is not None and seen == revision:
            return cached
        with self.db.read() as session:
            generation = session.scalar(select(func.max(Authority.generation)).where(Authority.retired_at.is_(None)))
            if cached is not None and generation == cached.generation:
                found: Hierarchy | None = cached  # the revision moved for an issuance or a revocation only
            else:
                found = self._load(session)
        if found is None:
            with self.db.transaction() as session:
                found = self._load(session) or self._generate(session)
        hierarchy = found
        with self._lock:
            self._hierarchy = hierarchy
            self._hierarchy_revision = revision
        return hierarchy

    def regenerate(self) -> Hierarchy:
        """Retire the current hierarchy and generate a new one. Certificates issued under the old one become
        unknown to OCSP."""
        with self.db.transaction() as session:
            now = self.clock.now()
            session.execute(update(Authority).where(Authority.retired_at.is_(None)).values(retired_at=now))
            hierarchy = self._generate(session)
        with self._lock:
            self._hierarchy = hierarchy
            self._hierarchy_revision = self.revision()
        return hierarchy

    def _load(self, session: Session) -> Hierarchy | None:
        rows = session.scalars(select(Authority).where(Authority.retired_at.is_(None))).all()
        if not rows:
            return None
        loaded = {
            row.role: LoadedAuthority(
                row.id,
                row.role,
                x509.load_der_x509_certificate(row.certificate_der),
                self.vault.load(session, row.key_id),
            )
            for row in rows
        }
        return Hierarchy(rows[0].generation, loaded)

    def _generate(self, session: Session) -> Hierarchy:
        now = self.clock.now()
        start = now - _BACKDATE
        generation = (
            session.scalar(select(Authority.generation).order_by(Authority.generation.desc()).limit(1)) or 0
        ) + 1
        algorithm = self.config.ca_key_algorithm
        urls = self.urls

        def years(n: int) -> datetime:
            return start + timedelta(days=365 * n)

        made: dict[str, tuple[x509.Certificate, str, PrivateKey]] = {}
        root_key_id, root_key = self.vault.create(session, algorithm, now)
        root = profiles.root_certificate(
            root_key, serial=x509.random_serial_number(), not_before=start, not_after=years(_ROOT_YEARS)
        )
        made[profiles.ROOT] = (root, root_key_id, root_key)
        for role in (profiles.PERSON_CA, profiles.SEAL_CA):
            key_id, key = self.vault.create(session, algorithm, now)
            cert = profiles.issuing_ca_certificate(
                role,
                key.public_key(),
                root=root,
                root_key=root_key,
                urls=urls,
                serial=x509.random_serial_number(),
                not_before=start,
                not_after=years(_CA_YEARS),
            )
            made[role] = (cert, key_id, key)
        for role, ca_role in (
            (profiles.OCSP_PERSON, profiles.PERSON_CA),
            (profiles.OCSP_SEAL, profiles.SEAL_CA),
        ):
            ca_cert, _, ca_key = made[ca_role]
            key_id, key = self.vault.create(session, algorithm, now)
            cert = profiles.ocsp_responder_certificate(
                role,
                key.public_key(),
                issuer=ca_cert,
                issuer_key=ca_key,
                serial=x509.random_serial_number(),
                not_before=start,
                not_after=years(_SERVICE_YEARS),
            )
            made[role] = (cert, key_id, key)
        key_id, key = self.vault.create(session, algorithm, now)
        tsa = profiles.tsa_certificate(
            key.public_key(),
            root=root,
            root_key=root_key,
            urls=urls,
            serial=x509.random_serial_number(),
            not_before=start,
            not_after=years(_SERVICE_YEARS),
        )
        made[profiles.TSA] = (tsa, key_id, key)

        loaded: dict[str, LoadedAuthority] = {}
        for role, (cert, key_id, key) in made.items():
            authority_id = new_id("ca")
            session.add(
                Authority(
                    id=authority_id,
                    generation=generation,
                    role=role,
                    certificate_der=cert.public_bytes(Encoding.DER),
                    key_id=key_id,
                    crl_number=0,
                    created_at=now,
                )
            )
            loaded[role] = LoadedAuthority(authority_id, role, cert, key)
        self._bump_revision(session)
        return Hierarchy(generation, loaded)

    # -- issuance --------------------------------------------------------------------------------------------

    def issue_natural_person(
        self,
        identity: profiles.NaturalPersonIdentity,
        *,
        level: str = "qcpnqscd",
        key_algorithm: str | None = None,
        validity_days: int | None = None,
        session: Session | None = None,
    ) -> CertificateRecord:
        """Generate a key and issue a signing certificate for a natural person (EN 319 412-2).

        With ``session``, the issuance joins the caller's transaction (an approval issues in the same one).
        """
        if level not in profiles.LEVELS:
            raise InvalidInput(f"level must be one of {', '.join(profiles.LEVELS)}", code="invalid_level")
        days = validity_days or self.config.personal_validity_days

        def build(ca: LoadedAuthority, public_key: PublicKey, serial: int, start: datetime) -> x509.Certificate:
            return profiles.natural_person_certificate(
                identity,
                public_key,
                level=level,
                issuer=ca.certificate,
                issuer_key=ca.key,
                urls=self.urls,
                serial=serial,
                not_before=start,
                not_after=(
                    ca.certificate.not_valid_after_utc + timedelta(days=1)
                    if END_ENTITY_OUTLIVES_ITS_CA in self.breakages
                    else start + timedelta(days=days)
                ),
                broken=self.breakages.snapshot(),
            )

        return self._issue(profiles.PERSON_CA, "natural_person", level, key_algorithm, build, session)

    def issue_seal(
        self,
        identity: profiles.LegalPersonIdentity,
        *,
        key_algorithm: str | None = None,
        validity_days: int | None = None,
        session: Session | None = None,
    ) -> CertificateRecord:
        """Generate a key and issue a firm's seal certificate (EN 319 412-3)."""
        days = validity_days or self.config.seal_validity_days

        def build(ca: LoadedAuthority, public_key: PublicKey, serial: int, start: datetime) -> x509.Certificate:
            return profiles.seal_certificate(
                identity,
                public_key,
                issuer=ca.certificate,
                issuer_key=ca.key,
                urls=self.urls,
                serial=serial,
                not_before=start,
                not_after=start + timedelta(days=days),
                broken=self.breakages.snapshot(),
            )

        return self._issue(profiles.SEAL_CA, "seal", "qcp-l", key_algorithm, build, session)

    def _issue(
        self,
        ca_role: str,
        profile: str,
        level: str,
        key_algorithm: str | None,
        build: _Builder,
        outer: Session | None,
    ) -> CertificateRecord:
        algorithm = key_algorithm or self.config.key_algorithm
        if algorithm not in KEY_ALGORITHMS:
            raise InvalidInput(
                f"key_algorithm must be one of {', '.join(KEY_ALGORITHMS)}", code="invalid_key_algorithm"
            )
        ca = self.hierarchy()[ca_role]
        with self._transaction(outer) as session:
            now = self.clock.now().replace(microsecond=0)
            key_id, key = self.vault.create(session, algorithm, now)
            serial = x509.random_serial_number()
            cert = build(ca, key.public_key(), serial, now)
            row = IssuedCertificate(
                id=new_id("crt"),
                issuer_id=ca.id,
                serial=format(serial, "x"),
                profile=profile,
                level=level,
                subject=cert.subject.rfc4514_string(),
                not_before=cert.not_valid_before_utc,
                not_after=cert.not_valid_after_utc,
                certificate_der=cert.public_bytes(Encoding.DER),
                key_id=key_id,
                created_at=now,
            )
            session.add(row)
            self._bump_revision(session)
            return self._record(row, ca_role, cert)

    # -- lookups ---------------------------------------------------------------------------------------------

    def get_certificate(self, certificate_id: str, *, session: Session | None = None) -> CertificateRecord:
        """One issued certificate and its status, read in the caller's ``session`` if given (else in its own)."""
        with self._session(session) as current:
            row = self._issued(current, certificate_id)
            return self._record(row, self._role_of(current, row.issuer_id))

    def signing_key(self, certificate_id: str, *, session: Session | None = None) -> PrivateKey:
        """The subscriber's private key, opened once per process (for the remote-signing service)."""
        with self._session(session) as current:
            return self.vault.load(current, self._issued(current, certificate_id).key_id)

    def _session(self, session: Session | None) -> AbstractContextManager[Session]:
        """The caller's session, or a read of its own."""
        return nullcontext(session) if session is not None else self.db.read()

    @staticmethod
    def _issued(session: Session, certificate_id: str) -> IssuedCertificate:
        row = session.get(IssuedCertificate, certificate_id)
        if row is None:
            raise NotFound(f"no certificate {certificate_id}", code="certificate_not_found")
        return row

    def status(self, issuer_role: str, serial: int, at: datetime) -> CertificateStatus:
        """The status at ``at`` of the certificate with that serial issued by the current ``issuer_role``.

        Unknown when the CA never issued it, or had not issued it yet at ``at``.
        """
        hierarchy = self.hierarchy()
        ca = hierarchy[issuer_role].certificate
        # The hierarchy's own certificates (issuing CAs, responders, TSA, and the root's self-signed one, which the
        # root issued too) are never revoked here.
        for authority in hierarchy.authorities.values():
            cert = authority.certificate
            mine = cert.issuer == ca.subject or OCSP_ANSWERS_FOR_OTHER_CA in self.breakages
            if mine and cert.serial_number == serial:
                return GOOD
        if issuer_role == profiles.ROOT:
            return UNKNOWN
        issuer_id = hierarchy[issuer_role].id
        with self.db.read() as session:
            where = [IssuedCertificate.serial == format(serial, "x")]
            if OCSP_ANSWERS_FOR_OTHER_CA not in self.breakages:
                where.append(IssuedCertificate.issuer_id == issuer_id)
            row = session.scalar(select(IssuedCertificate).where(*where).limit(1))
            if row is None or row.created_at > at:
                return UNKNOWN
            if row.revoked_at is not None and row.revoked_at <= at:
                if OCSP_REVOKED_ONLY_WHEN_REVOKED in self.breakages and row.revoked_at < at:
                    return GOOD
                return CertificateStatus("revoked", row.revoked_at, row.revocation_reason)
            return GOOD

    def revoked_certificates(self, issuer_role: str, at: datetime) -> list[tuple[int, datetime, str]]:
        """(serial, revocation time, reason) of every certificate of that CA revoked at ``at``, for its CRL."""
        hierarchy = self.hierarchy()
        if issuer_role == profiles.ROOT:
            return []
        if issuer_role == profiles.SEAL_CA and CRL_SEAL_CA_OMITS_REVOKED in self.breakages:
            return []
        issuer_id = hierarchy[issuer_role].id
        where = [IssuedCertificate.issuer_id == issuer_id, IssuedCertificate.revoked_at <= at]
        if CRL_LISTS_OTHER_CAS_REVOCATIONS in self.breakages:
            where = [IssuedCertificate.revoked_at <= at]  # every CA's revocations
        if CRL_DROPS_OLD_REVOCATIONS in self.breakages:
            where.append(IssuedCertificate.revoked_at > at - timedelta(hours=1))
        with self.db.read() as session:
            rows = session.execute(
                select(
                    IssuedCertificate.serial,
                    IssuedCertificate.revoked_at,
                    IssuedCertificate.revocation_reason,
                )
                .where(*where)
                .order_by(IssuedCertificate.revoked_at)
            ).all()
        return [
            (int(serial, 16), revoked_at, reason or "unspecified")
            for serial, revoked_at, reason in rows
            if revoked_at is not None
        ]

    # -- revocation ------------------------------------------------------------------------------------------

    def revoke(
        self,
        certificate_id: str,
        reason: str = "unspecified",
        *,
        at: datetime | None = None,
        session: Session | None = None,
    ) -> CertificateRecord:
        """Revoke a certificate with an RFC 5280 reason; effective now, or at ``at`` if given (not in the future).

        With ``session``, the revocation joins the caller's transaction.
        """
        if reason not in REVOCATION_REASONS:
            raise InvalidInput(
                f"reason must be one of {', '.join(REVOCATION_REASONS)}", code="invalid_revocation_reason"
            )
        now = self.clock.now()
        when = ensure_utc(at) if at is not None else now
        if when > now:
            raise InvalidInput("a revocation cannot take effect in the future", code="invalid_revocation_time")
        with self._transaction(session) as session:
            row = session.get(IssuedCertificate, certificate_id, with_for_update=locking(session))
            if row is None:
                raise NotFound(f"no certificate {certificate_id}", code="certificate_not_found")
            if row.revoked_at is not None:
                raise Conflict(f"certificate {certificate_id} is already revoked", code="certificate_already_revoked")
            if when < row.created_at:
                raise InvalidInput("a revocation cannot precede issuance", code="invalid_revocation_time")
            row.revoked_at = when.replace(microsecond=0)
            row.revocation_reason = reason
            self._bump_revision(session)
            return self._record(row, self._role_of(session, row.issuer_id))

    @contextmanager
    def _transaction(self, outer: Session | None) -> Iterator[Session]:
        """The caller's session if it gave one, else a transaction of our own."""
        if outer is not None:
            yield outer
            return
        with self.db.transaction() as session:
            yield session

    # -- CRL numbers and revision ----------------------------------------------------------------------------

    def next_crl_number(self, issuer_role: str) -> int:
        """Allocate the next CRL number of that CA (monotonic across processes and restarts)."""
        authority_id = self.hierarchy()[issuer_role].id
        with self.db.transaction() as session:
            row = session.get(Authority, authority_id, with_for_update=True)
            assert row is not None
            row.crl_number += 1
            return row.crl_number

    def revision(self) -> int:
        """A number that changes whenever issuance, revocation or the hierarchy changes, in any process.

        Read on every OCSP request, so through the storage's fast path rather than an ORM session.
        """
        return self.db.read_counter(REVISION_COUNTER)

    @staticmethod
    def _bump_revision(session: Session) -> None:
        counter = session.get(Counter, REVISION_COUNTER, with_for_update=True)
        if counter is None:
            session.add(Counter(name=REVISION_COUNTER, value=1))
        else:
            counter.value += 1

    def _role_of(self, session: Session, authority_id: str) -> str:
        role = self._roles.get(authority_id)  # an authority's role never changes: read it once per process
        if role is None:
            row = session.get(Authority, authority_id)
            assert row is not None
            role = self._roles.setdefault(authority_id, row.role)
        return role

    @staticmethod
    def _record(row: IssuedCertificate, issuer_role: str, cert: x509.Certificate | None = None) -> CertificateRecord:
        return CertificateRecord(
            id=row.id,
            issuer_role=issuer_role,
            serial=int(row.serial, 16),
            profile=row.profile,
            level=row.level,
            subject=row.subject,
            not_before=row.not_before,
            not_after=row.not_after,
            certificate=cert or x509.load_der_x509_certificate(row.certificate_der),
            key_id=row.key_id,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
            revocation_reason=row.revocation_reason,
        )
