"""Helpers shared by the PKI tests: issuing test subjects and building protocol requests."""

from __future__ import annotations

import hashlib

from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509 import ocsp

from mock_provider.core.pki.authority import CertificateRecord
from mock_provider.core.pki.profiles import LegalPersonIdentity, NaturalPersonIdentity
from mock_provider.core.services import MockServices

MARIE = NaturalPersonIdentity(given_name="Marie", surname="Dupont", serial_number="IDCFR-X4RTBPFW4")
ECMA = LegalPersonIdentity(organization="Cabinet Ecma", siren="552100554")


def issue_person(services: MockServices, level: str = "qcpnqscd", **kwargs: object) -> CertificateRecord:
    return services.pki.issue_natural_person(MARIE, level=level, **kwargs)  # type: ignore[arg-type]


def ocsp_request(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    *,
    algorithm: hashes.HashAlgorithm | None = None,
    nonce: bytes | None = None,
) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, algorithm or hashes.SHA1())
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(Encoding.DER)


def tsa_request(
    data: bytes = b"hello", *, nonce: int | None = 424242, cert_req: bool = True, policy: str | None = None
) -> bytes:
    req: dict[str, object] = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": hashlib.sha256(data).digest()},
        "cert_req": cert_req,
    }
    if nonce is not None:
        req["nonce"] = nonce
    if policy is not None:
        req["req_policy"] = policy
    return bytes(tsp.TimeStampReq(req).dump())
