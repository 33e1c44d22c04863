"""OCSP responder (RFC 6960), with pre-signed cached answers in the manner of RFC 5019.

:meth:`OcspResponder.respond` takes a DER ``OCSPRequest`` and always returns a DER ``OCSPResponse`` plus an HTTP
status that fits: malformed input gets ``malformedRequest``, a request about an issuer that is not ours gets
``unauthorized``, and a certificate the CA never issued gets the status ``unknown``, never an error.

- CertIDs are answered in kind: SHA-1, SHA-256, SHA-384 or SHA-512, echoed as received.
- Certificates of the signature and seal CAs are answered by each CA's delegated responder (EKU OCSPSigning,
  id-pkix-ocsp-nocheck), whose certificate rides in the response; the root answers for the CA certificates
  it issued itself.
- A nonce of 1 to 128 octets (RFC 9654, which obsoletes RFC 8954's 32) is echoed, whatever its length; such
  answers are signed on the spot. A request whose nonce has 0 octets, or more than 128, is answered
  ``malformedRequest`` (RFC 9654 section 2.1: a responder MUST reject it so). Answers without a nonce
  are signed once, kept, and signed again once half their validity has passed or when the PKI changes (issuance,
  revocation, regeneration, and a rule-breakage switch: see :mod:`mock_provider.core.misbehaviour.switch`), so a
  revocation shows at once and no cached answer outlives the switch that shaped it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from asn1crypto import core, ocsp
from asn1crypto import x509 as asn1_x509

from mock_provider.core.clock import Clock
from mock_provider.core.misbehaviour.areas.pki import (
    IGNORE_OCSP_NONCE,
    OCSP_BACKDATED_REVOCATION,
    OCSP_BAD_SIGNATURE,
    OCSP_CACHED_ACROSS_REVOCATION,
    OCSP_CERT_ID_WRONG_KEY_HASH,
    OCSP_EMPTY_NONCE_ANSWERED,
    OCSP_GOOD_AFTER_REVOCATION,
    OCSP_GOOD_FOR_UNKNOWN,
    OCSP_LONG_NONCE_ANSWERED,
    OCSP_MALFORMED_UNANSWERED,
    OCSP_NONCE_LIMIT_OFF_BY_ONE,
    OCSP_NONCE_LIMIT_RFC_8954,
    OCSP_REASON_NOT_THE_CRLS,
    OCSP_RESPONDER_ID_WRONG_KEY,
    OCSP_SERVED_PAST_NEXT_UPDATE,
    OCSP_STALE_THIS_UPDATE,
)
from mock_provider.core.misbehaviour.switch import Breakage
from mock_provider.core.misbehaviour.switches import Breakages
from mock_provider.core.pki import profiles
from mock_provider.core.pki.authority import GOOD, CertificateStatus, Hierarchy, LoadedAuthority, Pki
from mock_provider.core.pki.keys import PrivateKey, sign, signature_algorithm_name
from mock_provider.core.pki.times import InstantRange, answerable

_HASHES = ("sha1", "sha256", "sha384", "sha512")
#: RFC 9654 section 2.1: Nonce ::= OCTET STRING(SIZE(1..128)).
_MIN_NONCE, _MAX_NONCE = 1, 128
_CACHE_SIZE = 10_000


#: How far back the stale and backdated answers of the switches above are dated.
_STALE_BY = timedelta(days=21)
_BACKDATED_BY = timedelta(days=1)


@dataclass(frozen=True)
class OcspAnswer:
    """A DER ``OCSPResponse`` and the HTTP status to send it with."""

    der: bytes
    http_status: int


@dataclass(frozen=True, eq=False)  # compared and hashed by identity
class _Issuer:
    role: str
    signer: LoadedAuthority
    signer_asn1: asn1_x509.Certificate
    include_signer: bool
    hashes: dict[tuple[str, bytes, bytes], None]


@dataclass(frozen=True)
class _Signers:
    hierarchy: Hierarchy
    issuers: tuple[_Issuer, ...]


def _error(status: str, http_status: int) -> OcspAnswer:
    return OcspAnswer(ocsp.OCSPResponse({"response_status": status}).dump(), http_status)


def malformed_request(http_status: int = 400) -> OcspAnswer:
    return _error("malformed_request", http_status)


class OcspResponder:
    """Answers OCSP requests about the current hierarchy's certificates."""

    def __init__(self, pki: Pki, clock: Clock, validity: timedelta) -> None:
        self.pki = pki
        self.clock = clock
        self.validity = validity
        self._lock = threading.Lock()
        self._signers: _Signers | None = None
        #: Pre-signed answers by request bytes: (the PKI revision they were signed at, when, the DER).
        self._cache: OrderedDict[bytes, tuple[int, datetime, bytes]] = OrderedDict()

    @property
    def instants(self) -> InstantRange:
        """When an answer can be made: its nextUpdate is ``validity`` later (see :mod:`.times`)."""
        return answerable(adds=self.validity)

    def respond(self, request_der: bytes, *, at: datetime | None = None) -> OcspAnswer:
        """Answer a DER request; ``at`` asks for the answer as it would be at another instant (never cached).

        The caller checks that ``at`` lies in :attr:`instants`.
        """
        revision = self.pki.revision()
        now = self.clock.now()
        if at is None:
            # Keyed by the request's exact bytes: only nonce-less single requests are ever stored, so a hit
            # needs no parsing at all (the common case of RFC 5019 clients).
            hit = self._cached(request_der, revision, now)
            if hit is not None:
                return OcspAnswer(hit, 200)
        try:
            request = ocsp.OCSPRequest.load(request_der, strict=True)
            tbs = request["tbs_request"]
            items = [
                (
                    item["req_cert"],
                    item["req_cert"]["hash_algorithm"]["algorithm"].native,
                    item["req_cert"]["issuer_name_hash"].native,
                    item["req_cert"]["issuer_key_hash"].native,
                    item["req_cert"]["serial_number"].native,
                )
                for item in tbs["request_list"]
            ]
            nonce = _nonce(tbs)
        except (ValueError, TypeError, KeyError):
            if OCSP_MALFORMED_UNANSWERED in self.pki.breakages:
                raise
            return malformed_request()
        if not items:
            if OCSP_MALFORMED_UNANSWERED in self.pki.breakages:
                raise ValueError("no request in the OCSP request")
            return malformed_request()
        least, limit = _nonce_bounds(self.pki.breakages)
        if nonce is not None and not least <= len(nonce) <= limit:
            return malformed_request()

        signers = self._current_signers(revision)
        issuers = {self._match(signers, algo, name_hash, key_hash) for _, algo, name_hash, key_hash, _ in items}
        if None in issuers or len(issuers) != 1:
            # Not authoritative for (one of) these issuers (RFC 5019 section 2.2.3).
            return _error("unauthorized", 200)
        issuer = next(iter(i for i in issuers if i is not None))

        cacheable = at is None and nonce is None and len(items) == 1
        when = at or now
        broken = self.pki.breakages.snapshot()
        statuses = [_broken(self.pki.status(issuer.role, serial, when), broken) for *_, serial in items]
        cert_ids = [cert_id for cert_id, *_ in items]
        if OCSP_CERT_ID_WRONG_KEY_HASH in broken:
            cert_ids = [_whole_key_hash(cert_id, signers.hierarchy[issuer.role].der) for cert_id in cert_ids]
        der = self._sign(
            issuer,
            list(zip(cert_ids, statuses, strict=True)),
            when,
            None if IGNORE_OCSP_NONCE in broken else nonce,
            broken,
        )
        if cacheable:
            self._store(request_der, revision, when, der)
        return OcspAnswer(der, 200)

    # -- signing ---------------------------------------------------------------------------------------------

    def _sign(
        self,
        issuer: _Issuer,
        answers: list[tuple[ocsp.CertId, CertificateStatus]],
        when: datetime,
        nonce: bytes | None,
        broken: frozenset[Breakage] = frozenset(),
    ) -> bytes:
        produced = when.replace(microsecond=0)
        this_update = produced - _STALE_BY if OCSP_STALE_THIS_UPDATE in broken else produced
        responses = [
            ocsp.SingleResponse(
                {
                    "cert_id": cert_id,
                    "cert_status": _cert_status(status, broken),
                    "this_update": this_update,
                    "next_update": produced + self.validity,
                }
            )
            for cert_id, status in answers
        ]
        key_hash = issuer.signer_asn1.public_key.sha1
        if OCSP_RESPONDER_ID_WRONG_KEY in broken and not issuer.include_signer:
            key_hash = hashlib.sha1(issuer.signer_asn1.public_key.dump(), usedforsecurity=False).digest()
        data: dict[str, object] = {
            "responder_id": ocsp.ResponderId(name="by_key", value=key_hash),
            "produced_at": produced,
            "responses": responses,
        }
        if nonce is not None:
            data["response_extensions"] = [{"extn_id": "nonce", "extn_value": core.OctetString(nonce)}]
        response_data = ocsp.ResponseData(data)
        key: PrivateKey = issuer.signer.key
        basic: dict[str, object] = {
            "tbs_response_data": response_data,
            "signature_algorithm": {"algorithm": signature_algorithm_name(key)},
            "signature": sign(key, response_data.dump() + (b"\0" if OCSP_BAD_SIGNATURE in broken else b"")),
        }
        if issuer.include_signer:
            basic["certs"] = [issuer.signer_asn1]
        response = ocsp.OCSPResponse(
            {
                "response_status": "successful",
                "response_bytes": {
                    "response_type": "basic_ocsp_response",
                    "response": ocsp.BasicOCSPResponse(basic),
                },
            }
        )
        der: bytes = response.dump()
        return der

    # -- cache -----------------------------------------------------------------------------------------------

    def _cached(self, key: bytes, revision: int, now: datetime) -> bytes | None:
        with self._lock:
            entry = self._cache.get(key)
            if entry is None:
                return None
            signed_revision, signed_at, der = entry
            # Signed before the PKI last changed (a revocation, say): never served again. Else re-signed once half
            # the validity has passed (or if the clock went back before the answer).
            moved = signed_revision != revision and OCSP_CACHED_ACROSS_REVOCATION not in self.pki.breakages
            fresh = signed_at <= now < signed_at + self.validity / 2
            if moved or not (fresh or OCSP_SERVED_PAST_NEXT_UPDATE in self.pki.breakages):
                del self._cache[key]
                return None
            self._cache.move_to_end(key)
            return der

    def _store(self, key: bytes, revision: int, signed_at: datetime, der: bytes) -> None:
        with self._lock:
            self._cache[key] = (revision, signed_at.replace(microsecond=0), der)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)

    # -- issuers ---------------------------------------------------------------------------------------------

    def _current_signers(self, revision: int) -> _Signers:
        hierarchy = self.pki.hierarchy(revision)
        with self._lock:
            if self._signers is not None and self._signers.hierarchy is hierarchy:
                return self._signers
        issuers = []
        for role, signer_role in (
            (profiles.PERSON_CA, profiles.OCSP_PERSON),
            (profiles.SEAL_CA, profiles.OCSP_SEAL),
            (profiles.ROOT, profiles.ROOT),
        ):
            ca = asn1_x509.Certificate.load(hierarchy[role].der)
            name_der = ca.subject.dump()
            key_bits = ca.public_key["public_key"].contents[1:]
            hashes = {
                (algo, hashlib.new(algo, name_der).digest(), hashlib.new(algo, key_bits).digest()): None
                for algo in _HASHES
            }
            signer = hierarchy[signer_role]
            issuers.append(_Issuer(role, signer, asn1_x509.Certificate.load(signer.der), signer_role != role, hashes))
        signers = _Signers(hierarchy, tuple(issuers))
        with self._lock:
            self._signers = signers
        return signers

    @staticmethod
    def _match(signers: _Signers, algo: str, name_hash: bytes, key_hash: bytes) -> _Issuer | None:
        for issuer in signers.issuers:
            if (algo, name_hash, key_hash) in issuer.hashes:
                return issuer
        return None


def _nonce_bounds(breakages: Breakages) -> tuple[int, int]:
    """The fewest and the most octets of a nonce answered (RFC 9654: 1 to 128), as the switched-on rules say."""
    least = 0 if OCSP_EMPTY_NONCE_ANSWERED in breakages else _MIN_NONCE
    if OCSP_LONG_NONCE_ANSWERED in breakages:
        return least, 2**31
    if OCSP_NONCE_LIMIT_RFC_8954 in breakages:
        return least, 32
    return least, _MAX_NONCE - 1 if OCSP_NONCE_LIMIT_OFF_BY_ONE in breakages else _MAX_NONCE


def _nonce(tbs: ocsp.TBSRequest) -> bytes | None:
    for extension in tbs["request_extensions"] or ():
        if extension["extn_id"].native == "nonce":
            value = extension["extn_value"].parsed
            return bytes(value.native)
    return None


def _broken(status: CertificateStatus, broken: frozenset[Breakage]) -> CertificateStatus:
    """The status as a provider that breaks the switched-on rules would give it."""
    if status.state == "revoked" and OCSP_GOOD_AFTER_REVOCATION in broken:
        return GOOD
    if status.state == "unknown" and OCSP_GOOD_FOR_UNKNOWN in broken:
        return GOOD
    if status.state == "revoked" and status.revoked_at and OCSP_BACKDATED_REVOCATION in broken:
        return replace(status, revoked_at=status.revoked_at - _BACKDATED_BY)
    return status


def _whole_key_hash(cert_id: ocsp.CertId, issuer_der: bytes) -> ocsp.CertId:
    """The CertID with its issuerKeyHash over the issuer's whole SubjectPublicKeyInfo, as a careless responder
    computes it."""
    algorithm = cert_id["hash_algorithm"]["algorithm"].native
    spki = asn1_x509.Certificate.load(issuer_der).public_key.dump()
    return ocsp.CertId(
        {
            "hash_algorithm": cert_id["hash_algorithm"],
            "issuer_name_hash": cert_id["issuer_name_hash"],
            "issuer_key_hash": hashlib.new(algorithm, spki).digest(),
            "serial_number": cert_id["serial_number"],
        }
    )


def _cert_status(status: CertificateStatus, broken: frozenset[Breakage] = frozenset()) -> ocsp.CertStatus:
    if status.state == "good":
        return ocsp.CertStatus(name="good", value=core.Null())
    if status.state == "revoked":
        assert status.revoked_at is not None
        info: dict[str, object] = {"revocation_time": status.revoked_at}
        if OCSP_REASON_NOT_THE_CRLS in broken:
            info["revocation_reason"] = "unspecified"  # whatever the CRL says
        elif status.reason and status.reason != "unspecified":
            info["revocation_reason"] = status.reason
        return ocsp.CertStatus(name="revoked", value=info)
    return ocsp.CertStatus(name="unknown", value=core.Null())
