"""Full CRLs of each CA of the hierarchy (RFC 5280 section 5), at stable URLs.

Each CRL carries a CRL number that only ever grows (kept in storage, so it survives restarts and is shared by
worker processes), thisUpdate, nextUpdate, the authority key identifier and, per entry, the revocation time and
reason. A CRL is issued once and served from memory until the PKI or the rule-breakage switches change, or half
its validity has passed.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from mock_provider.core.clock import Clock
from mock_provider.core.misbehaviour.areas.pki import (
    CRL_BACKDATED_REVOCATION,
    CRL_ENTRY_REASON_UNSPECIFIED,
    CRL_ENTRY_WRONG_REASON,
    CRL_NUMBER_REPEATED,
    CRL_OMITS_REVOKED,
    CRL_SERVED_PAST_NEXT_UPDATE,
    CRL_WRONG_AUTHORITY_KEY_IDENTIFIER,
    STALE_CRL,
)
from mock_provider.core.pki import profiles
from mock_provider.core.pki.authority import Pki
from mock_provider.core.pki.times import EARLIEST, InstantRange, answerable


class CrlPublisher:
    """Issues and caches the CRL of each CA role (``root``, ``person``, ``seal``)."""

    def __init__(self, pki: Pki, clock: Clock, validity: timedelta) -> None:
        self.pki = pki
        self.clock = clock
        self.validity = validity
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[int, datetime, bytes]] = {}

    @property
    def instants(self) -> InstantRange:
        """When a CRL can be issued: from 1950 (UTCTime), its nextUpdate ``validity`` later (see :mod:`.times`)."""
        return answerable(adds=self.validity)

    def crl(self, role: str, *, at: datetime | None = None) -> bytes:
        """The DER CRL of that CA; ``at`` asks for the CRL as it would be issued at another instant.

        The caller checks that ``at`` lies in :attr:`instants`.
        """
        if role not in profiles.CA_ROLES:
            raise KeyError(role)
        self.pki.hierarchy()  # generated on first use, which changes the revision
        revision = self.pki.revision()
        now = self.clock.now()
        if at is None:
            with self._lock:
                cached = self._cache.get(role)
            if cached is not None:
                cached_revision, issued_at, der = cached
                fresh = issued_at <= now < issued_at + self.validity / 2
                if cached_revision == revision and (fresh or CRL_SERVED_PAST_NEXT_UPDATE in self.pki.breakages):
                    return der
        when = (at or now).replace(microsecond=0)
        der = self._issue(role, when)
        if at is None:
            with self._lock:
                self._cache[role] = (revision, when, der)
        return der

    def _issue(self, role: str, when: datetime) -> bytes:
        ca = self.pki.hierarchy()[role]
        broken = self.pki.breakages.snapshot()
        if STALE_CRL in broken:
            when = max(when - 2 * self.validity, EARLIEST)  # stale, though never before what X.509 can write
        ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        if CRL_WRONG_AUTHORITY_KEY_IDENTIFIER in broken:
            ski = x509.SubjectKeyIdentifier(_whole_key_hash(ca.certificate))
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca.certificate.subject)
            .last_update(when)
            .next_update(when + self.validity)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .add_extension(
                x509.CRLNumber(1 if CRL_NUMBER_REPEATED in broken else self.pki.next_crl_number(role)),
                critical=False,
            )
        )
        revoked = [] if CRL_OMITS_REVOKED in broken else self.pki.revoked_certificates(role, when)
        for serial, revoked_at, reason in revoked:
            if CRL_ENTRY_WRONG_REASON in broken:
                reason = "superseded" if reason != "superseded" else "key_compromise"
            if CRL_BACKDATED_REVOCATION in broken:
                revoked_at -= timedelta(days=1)
            entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(revoked_at)
            if reason and (reason != "unspecified" or CRL_ENTRY_REASON_UNSPECIFIED in broken):
                entry = entry.add_extension(x509.CRLReason(x509.ReasonFlags[reason]), critical=False)
            builder = builder.add_revoked_certificate(entry.build())
        return builder.sign(ca.key, hashes.SHA256()).public_bytes(Encoding.DER)


def _whole_key_hash(cert: x509.Certificate) -> bytes:
    """SHA-1 over the whole SubjectPublicKeyInfo, as a careless CA computes a key identifier."""
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha1(spki, usedforsecurity=False).digest()
