"""Time-stamp tokens (RFC 3161, with ESSCertIDv2 of RFC 5816): the status, the policy asked or refused, the
imprint and nonce, genTime and its accuracy against the target's clock, the signing-certificate attribute's hash,
the signature."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from conformance.pkix.certificates import verifies

_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


def tsa_request(
    digest: bytes, *, nonce: int | None, policy: str | None = None, cert_req: bool = True, algorithm: str = "sha256"
) -> bytes:
    """A DER RFC 3161 TimeStampReq for a SHA-256 ``digest`` (with ``reqPolicy`` when ``policy`` is given; under
    another hash ``algorithm`` when it says, an asn1crypto name such as ``md5``)."""
    query: dict[str, object] = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": algorithm}, "hashed_message": digest},
        "cert_req": cert_req,
    }
    if nonce is not None:
        query["nonce"] = nonce
    if policy is not None:
        query["req_policy"] = policy
    return bytes(tsp.TimeStampReq(query).dump())


class _TimeStampResp(core.Sequence):  # type: ignore[misc]
    # asn1crypto's own makes the token mandatory, which a rejection leaves out.
    _fields = [("status", tsp.PKIStatusInfo), ("time_stamp_token", cms.ContentInfo, {"optional": True})]


@dataclass(frozen=True)
class TsaReply:
    """A TimeStampResp read: its PKIStatus, failInfo bits, statusString and token (granted only)."""

    status: str
    fail_info: frozenset[str] = field(default_factory=frozenset)
    text: str = ""
    token: cms.ContentInfo | None = None

    @property
    def granted(self) -> bool:
        return self.status in ("granted", "granted_with_mods")


def read_tsa_reply(der: bytes) -> TsaReply | str:
    """The reply, or why it is not a DER TimeStampResp."""
    try:
        reply = _TimeStampResp.load(der, strict=True)
        status_info = reply["status"]
        status = status_info["status"].native
        fail_info = status_info["fail_info"].native or set()
        text = "; ".join(status_info["status_string"].native or [])
    except (ValueError, TypeError) as exc:
        return f"not a DER TimeStampResp ({exc})"
    granted = status in ("granted", "granted_with_mods")
    token = reply["time_stamp_token"] if granted and reply["time_stamp_token"].native is not None else None
    return TsaReply(str(status), frozenset(fail_info), text, token)


def tsa_token(der: bytes) -> tuple[cms.ContentInfo | None, str]:
    """(the token, "") when granted, else (None, why)."""
    reply = read_tsa_reply(der)
    if isinstance(reply, str):
        return None, reply
    if not reply.granted or reply.token is None:
        return None, f"the TSA answered {reply.status}: {reply.text}"
    return reply.token, ""


def load_token(der: bytes) -> tuple[cms.ContentInfo | None, str]:
    """(a bare TimeStampToken, "") as CSC's signatures/timestamp answers it, else (None, why)."""
    try:
        token = cms.ContentInfo.load(der, strict=True)
        if token["content_type"].native != "signed_data":
            return None, f"a {token['content_type'].native} ContentInfo, not SignedData"
        tst_info(token)
    except (ValueError, TypeError, KeyError) as exc:
        return None, f"not a DER TimeStampToken ({exc})"
    return token, ""


def tst_info(token: cms.ContentInfo) -> tsp.TSTInfo:
    return token["content"]["encap_content_info"]["content"].parsed


def tsa_signer(token: cms.ContentInfo, trusted_tsa: Sequence[x509.Certificate] = ()) -> x509.Certificate | None:
    """The certificate that the token's one SignerInfo identifies, among those the token carries and ``trusted_tsa``."""
    signed = token["content"]
    infos = signed["signer_infos"]
    if len(infos) != 1:
        return None
    certificates = [x509.load_der_x509_certificate(c.chosen.dump()) for c in signed["certificates"] or ()]
    certificates += list(trusted_tsa)
    sid = infos[0]["sid"]
    if sid.name == "issuer_and_serial_number":
        serial = sid.chosen["serial_number"].native
        issuer = sid.chosen["issuer"]
        return next((c for c in certificates if c.serial_number == serial and _asn1_name(c.issuer) == issuer), None)
    key_id = sid.chosen.native
    return next(
        (c for c in certificates if x509.SubjectKeyIdentifier.from_public_key(c.public_key()).digest == key_id),
        None,
    )


def _asn1_name(name: x509.Name) -> asn1_x509.Name:
    return asn1_x509.Name.load(name.public_bytes())


def _signed_attribute(token: cms.ContentInfo, name: str) -> list[object]:
    info = token["content"]["signer_infos"][0]
    return [a["values"] for a in info["signed_attrs"] if a["type"].native == name]


def tsa_signature_findings(token: cms.ContentInfo, trusted_tsa: Sequence[x509.Certificate] = ()) -> list[str]:
    """RFC 3161 2.3 and 2.4.2 with RFC 5816: signed by a certificate whose only EKU is timeStamping (critical),
    over signed attributes whose message digest is that of the TSTInfo."""
    signed = token["content"]
    infos = signed["signer_infos"]
    if len(infos) != 1:
        return [f"{len(infos)} signer infos, expected one"]
    info = infos[0]
    signer = tsa_signer(token, trusted_tsa)
    if signer is None:
        return ["the TSA certificate is not in the token (certReq was set)"]
    found = []
    try:
        eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
        if not eku.critical or list(eku.value) != [ExtendedKeyUsageOID.TIME_STAMPING]:
            found.append("the TSA certificate's EKU is not timeStamping only, critical (RFC 3161 2.3)")
    except x509.ExtensionNotFound:
        found.append("the TSA certificate has no extended key usage")
    attrs = info["signed_attrs"]
    content = signed["encap_content_info"]["content"].contents
    digest_name = info["digest_algorithm"]["algorithm"].native
    digests = [a["values"][0].native for a in attrs if a["type"].native == "message_digest"]
    if digest_name not in _HASHES or digests != [hashlib.new(digest_name, content).digest()]:
        found.append("the signed messageDigest is not the TSTInfo's digest")
    if not any(a["type"].native in ("signing_certificate_v2", "signing_certificate") for a in attrs):
        found.append("no ESS signing-certificate attribute (RFC 5816)")
    algorithm = _HASHES.get(digest_name)
    if not verifies(signer.public_key(), info["signature"].native, attrs.untag().dump(), algorithm):
        found.append("the token's signature does not verify with the TSA certificate")
    return found


def tsa_signing_certificate_findings(token: cms.ContentInfo, trusted_tsa: Sequence[x509.Certificate] = ()) -> list[str]:
    """The attributes that name the signer hold the signer's values, not just any value:

    - RFC 5816 §2.2.1 (ESSCertIDv2 of RFC 5035 §5.4.1.1): the first certHash of signingCertificateV2 is the hash, with
      its hashAlgorithm (SHA-256 by default), of the TSA certificate that signed; its issuerSerial, if present, names
      that certificate's issuer and serial (RFC 3161 §2.4.1 with a v1 signingCertificate: SHA-1);
    - RFC 5652 §11.1: the content-type attribute is id-ct-TSTInfo, the encapsulated content's type (RFC 3161 §2.4.2);
    - RFC 3161 §2.4.2: the TSTInfo's tsa name, if present, is the signer's subject.
    """
    signer = tsa_signer(token, trusted_tsa)
    if signer is None:
        return ["the TSA certificate is not in the token, so its ESSCertID cannot be compared"]
    signer_der = signer.public_bytes(Encoding.DER)
    found = []
    v2 = _signed_attribute(token, "signing_certificate_v2")
    v1 = _signed_attribute(token, "signing_certificate")
    if v2:
        first = v2[0][0]["certs"][0]  # type: ignore[index]
        algorithm = first["hash_algorithm"]["algorithm"].native
        cert_hash = first["cert_hash"].native
        issuer_serial = first["issuer_serial"]
    elif v1:
        first = v1[0][0]["certs"][0]  # type: ignore[index]
        algorithm, cert_hash, issuer_serial = "sha1", first["cert_hash"].native, first["issuer_serial"]
    else:
        return ["no ESS signing-certificate attribute (RFC 5816 §2.2.1)"]
    if algorithm not in ("sha1", *_HASHES):
        found.append(f"the ESSCertID is hashed with {algorithm}, which the suite cannot compute")
    elif cert_hash != hashlib.new(algorithm, signer_der).digest():
        found.append(
            f"the ESSCertID certHash {cert_hash.hex()} is not the {algorithm} of the TSA certificate "
            f"({hashlib.new(algorithm, signer_der).hexdigest()})"
        )
    if issuer_serial.native is not None:
        if issuer_serial["serial_number"].native != signer.serial_number:
            found.append("the ESSCertID issuerSerial names another serial number than the TSA certificate's")
        names = [n.chosen for n in issuer_serial["issuer"] if n.name == "directory_name"]
        if _asn1_name(signer.issuer) not in names:
            found.append("the ESSCertID issuerSerial names another issuer than the TSA certificate's")
    content_types = [v[0].native for v in _signed_attribute(token, "content_type")]  # type: ignore[index]
    if content_types != ["tst_info"]:
        found.append(f"the content-type attribute is {content_types}, not id-ct-TSTInfo (RFC 5652 §11.1)")
    tsa_name = tst_info(token)["tsa"]
    if tsa_name.native is not None and (
        tsa_name.name != "directory_name" or tsa_name.chosen != _asn1_name(signer.subject)
    ):
        found.append("the TSTInfo's tsa field names another entity than the TSA certificate's subject")
    return found


def accuracy(info: tsp.TSTInfo) -> tuple[timedelta | None, list[str]]:
    """(the declared accuracy, what is wrong with it): RFC 3161 §2.4.2, millis and micros each 1 to 999."""
    value = info["accuracy"]
    if value.native is None:
        return None, []
    parts = {k: v for k, v in value.native.items() if v is not None}
    found = [
        f"accuracy {unit} is {parts[unit]}, not 1 to 999"
        for unit in ("millis", "micros")
        if unit in parts and not 1 <= parts[unit] <= 999
    ]
    total = timedelta(
        seconds=parts.get("seconds", 0), milliseconds=parts.get("millis", 0), microseconds=parts.get("micros", 0)
    )
    return total, found


def tsa_time_findings(token: cms.ContentInfo, *, at: datetime, leeway: timedelta) -> list[str]:
    """RFC 3161 §2.4.2 (genTime, accuracy) and ETSI EN 319 421 §7.7.2 (the TSA's clock kept within the declared
    accuracy of UTC): genTime lies within its accuracy, plus ``leeway`` for reading the target's clock, of ``at``."""
    info = tst_info(token)
    declared, found = accuracy(info)
    gen_time = info["gen_time"].native
    tolerance = (declared or timedelta(0)) + leeway
    if abs(gen_time - at) > tolerance:
        found.append(
            f"genTime {gen_time.isoformat()} is {abs(gen_time - at)} away from the target's clock {at.isoformat()}, "
            f"beyond the declared accuracy {declared or 'none'} and the suite's leeway {leeway}"
        )
    return found + signing_time_findings(token, at=at, tolerance=tolerance)


def signing_time_findings(token: cms.ContentInfo, *, at: datetime, tolerance: timedelta) -> list[str]:
    """RFC 5652 §11.3: a signingTime attribute, when the token's signer gives one, holds the time of signing,
    encoded as UTCTime from 1950 to 2049 and as GeneralizedTime before and after."""
    found = []
    for attribute in token["content"]["signer_infos"][0]["signed_attrs"]:
        if attribute["type"].native != "signing_time":
            continue
        for value in attribute["values"]:
            when = value.native
            wanted = "utc_time" if 1950 <= when.year <= 2049 else "generalized_time"
            if value.name != wanted:
                found.append(
                    f"signingTime {when.isoformat()} is encoded as {value.name}, not {wanted} (RFC 5652 §11.3)"
                )
            if abs(when - at) > tolerance:
                found.append(f"signingTime {when.isoformat()} is {abs(when - at)} away from the target's clock")
    return found
