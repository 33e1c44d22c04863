"""Another provider's signatures, made here: a root CA and a signer of its own, and pyHanko signing with them.

Its certificates name no CRL or OCSP responder, so a signature validates against its root offline with nothing
fetched. Used to put foreign, tampered, unsupported and malformed signatures beside the person's own.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko_certvalidator.registry import SimpleCertificateStore


@dataclass(frozen=True)
class ForeignPki:
    root: x509.Certificate
    signer: signers.SimpleSigner

    @property
    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)

    def sign(self, pdf: bytes, field_name: str = "Foreign") -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        meta = signers.PdfSignatureMetadata(field_name=field_name, subfilter=SigSeedSubFilter.PADES)
        return signers.sign_pdf(writer, meta, signer=self.signer).getvalue()


def foreign_pki(name: str = "Other Provider") -> ForeignPki:
    now = datetime.now(UTC)
    root_key, signer_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} Root CA")])
    root = (
        _builder(root_name, root_name, root_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    signer_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Jean Martin ({name})")])
    leaf = (
        _builder(signer_name, root_name, signer_key.public_key(), now)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    key = signer_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = signers.SimpleSigner(
        signing_cert=_asn1(leaf),
        signing_key=asn1_keys.PrivateKeyInfo.load(key),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(root)]),
    )
    return ForeignPki(root, signer)


def corrupt_first_signature(pdf: bytes) -> bytes:
    """The first signature's CMS object overwritten with a DER header that promises more than follows."""
    start = pdf.index(b"/Contents <") + len(b"/Contents <")
    end = pdf.index(b">", start)
    return pdf[:start] + b"3082ffff" + b"ab" * ((end - start - 8) // 2) + pdf[end:]


def unsupported_subfilter(pdf: bytes) -> bytes:
    """The first signature's SubFilter made ``adbe.x509.rsa_sha1`` (same length: the offsets stay right)."""
    return re.sub(rb"/ETSI\.CAdES\.detached", b"/adbe.x509.rsa_sha1 ", pdf, count=1)


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePublicKey, now: datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=not cert_sign,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
