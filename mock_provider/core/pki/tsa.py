"""Time-stamping authority (RFC 3161, with the ESS signing-certificate-v2 attribute of RFC 5816).

:meth:`TimeStampAuthority.respond` takes a DER ``TimeStampReq`` and always returns a DER ``TimeStampResp``: a
token with the policy, a unique serial, genTime, accuracy and the nonce echoed, or a rejection whose failInfo
says why (badAlg, badDataFormat, badRequest, unacceptedPolicy, unacceptedExtension). The TSA certificate rides in
the token if and only if the request sets certReq.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509

from mock_provider.core.clock import Clock
from mock_provider.core.misbehaviour.areas.pki import (
    TSA_ACCEPTS_LONG_IMPRINT,
    TSA_BAD_SIGNATURE,
    TSA_CERTIFICATES_UNASKED,
    TSA_GEN_TIME_SKEWED,
    TSA_IGNORES_NONCE,
    TSA_IGNORES_REQUESTED_POLICY,
    TSA_REPEATS_SERIAL,
    TSA_SIGNING_TIME_GENERALIZED,
    TSA_SIGNING_TIME_UTC_IN_2050,
    TSA_WRONG_ESS_CERT_ID,
    TSA_WRONG_IMPRINT,
)
from mock_provider.core.pki import oids, profiles
from mock_provider.core.pki.authority import Pki
from mock_provider.core.pki.keys import sign, signature_algorithm_name
from mock_provider.core.pki.times import answerable


class TimeStampResp(core.Sequence):  # type: ignore[misc]
    """RFC 3161 TimeStampResp. asn1crypto's own makes the token mandatory, which a rejection must leave out."""

    _fields = [("status", tsp.PKIStatusInfo), ("time_stamp_token", cms.ContentInfo, {"optional": True})]


#: Digest algorithms accepted in a message imprint, with their digest length.
ACCEPTED_DIGESTS = {"sha256": 32, "sha384": 48, "sha512": 64}


@dataclass(frozen=True)
class TsaAnswer:
    """A DER ``TimeStampResp`` and the HTTP status to send it with."""

    der: bytes
    http_status: int


class TimeStampAuthority:
    """Answers time-stamp requests with the hierarchy's TSA certificate."""

    def __init__(self, pki: Pki, clock: Clock, accuracy_seconds: int) -> None:
        self.pki = pki
        self.clock = clock
        self.accuracy_seconds = accuracy_seconds

    #: When a token can be made: genTime is GeneralizedTime, and adds nothing (see :mod:`.times`).
    instants = answerable(adds=timedelta(0))

    def respond(self, request_der: bytes, *, at: datetime | None = None) -> TsaAnswer:
        """Answer a DER request; ``at`` asks for a token made at another instant (the caller checks that it lies in
        :attr:`instants`)."""
        try:
            request = tsp.TimeStampReq.load(request_der, strict=True)
            version = request["version"].native
            imprint = request["message_imprint"]
            digest_algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
            policy = request["req_policy"].dotted if request["req_policy"].native is not None else None
            nonce = request["nonce"].native
            cert_req = bool(request["cert_req"].native)
            has_extensions = request["extensions"].native is not None
        except (ValueError, TypeError, KeyError):
            return rejection("bad_data_format", "the request is not a DER TimeStampReq")
        if version != "v1":
            return rejection("bad_request", "only version 1 requests are supported")
        if digest_algorithm not in ACCEPTED_DIGESTS:
            return rejection("bad_alg", f"accepted digests: {', '.join(ACCEPTED_DIGESTS)}")
        broken = self.pki.breakages.snapshot()
        if TSA_ACCEPTS_LONG_IMPRINT in broken:
            digest = digest[: ACCEPTED_DIGESTS[digest_algorithm]]  # reads as many octets as it expects, no more
        if len(digest) != ACCEPTED_DIGESTS[digest_algorithm]:
            return rejection("bad_data_format", "the digest length does not match its algorithm")
        unaccepted = policy is not None and policy != oids.TSA_POLICY.dotted_string
        if unaccepted and TSA_IGNORES_REQUESTED_POLICY not in broken:
            return rejection("unaccepted_policy", f"this TSA time-stamps under policy {oids.TSA_POLICY.dotted_string}")
        if has_extensions:
            return rejection("unaccepted_extensions", "no request extension is supported")

        when = (at or self.clock.now()).replace(microsecond=0)
        if TSA_WRONG_IMPRINT in broken:
            imprint = {"hash_algorithm": imprint["hash_algorithm"], "hashed_message": bytes(len(digest))}
        tsa = self.pki.hierarchy()[profiles.TSA]
        tsa_cert = asn1_x509.Certificate.load(tsa.der)
        info: dict[str, object] = {
            "version": "v1",
            "policy": oids.TSA_POLICY.dotted_string,
            "message_imprint": imprint,
            "serial_number": 1 if TSA_REPEATS_SERIAL in broken else int.from_bytes(secrets.token_bytes(16), "big"),
            "gen_time": when + timedelta(hours=1) if TSA_GEN_TIME_SKEWED in broken else when,
            "accuracy": {"seconds": self.accuracy_seconds},
            "tsa": asn1_x509.GeneralName(name="directory_name", value=tsa_cert.subject),
        }
        if nonce is not None and TSA_IGNORES_NONCE not in broken:
            info["nonce"] = nonce
        tst_info = tsp.TSTInfo(info)
        content = tst_info.dump()
        signed_attrs = cms.CMSAttributes(
            [
                {"type": "content_type", "values": ["tst_info"]},
                {
                    "type": "signing_time",
                    "values": [
                        cms.Time(name="generalized_time", value=core.GeneralizedTime(when))
                        if TSA_SIGNING_TIME_GENERALIZED in broken
                        else cms.Time(name="utc_time", value=core.UTCTime(when))
                        if TSA_SIGNING_TIME_UTC_IN_2050 in broken and when.year == 2050
                        else _cms_time(when)
                    ],
                },
                {"type": "message_digest", "values": [hashlib.sha256(content).digest()]},
                {
                    "type": "signing_certificate_v2",
                    "values": [
                        {
                            "certs": [
                                {
                                    "hash_algorithm": {"algorithm": "sha256"},
                                    "cert_hash": hashlib.sha256(
                                        self.pki.hierarchy().root.der if TSA_WRONG_ESS_CERT_ID in broken else tsa.der
                                    ).digest(),
                                    "issuer_serial": {
                                        "issuer": [asn1_x509.GeneralName(name="directory_name", value=tsa_cert.issuer)],
                                        "serial_number": tsa_cert.serial_number,
                                    },
                                }
                            ]
                        }
                    ],
                },
            ]
        )
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    name="issuer_and_serial_number",
                    value={"issuer": tsa_cert.issuer, "serial_number": tsa_cert.serial_number},
                ),
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "signed_attrs": signed_attrs,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": signature_algorithm_name(tsa.key)}),
                "signature": sign(tsa.key, signed_attrs.dump() + (b"\0" if TSA_BAD_SIGNATURE in broken else b"")),
            }
        )
        signed_data: dict[str, object] = {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(content)},
            "signer_infos": [signer_info],
        }
        if cert_req or TSA_CERTIFICATES_UNASKED in broken:
            signed_data["certificates"] = [tsa_cert]
        token = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})
        response = TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})
        return TsaAnswer(response.dump(), 200)


def _cms_time(instant: datetime) -> cms.Time:
    """RFC 5652 section 11.3: UTCTime from 1950 to 2049, GeneralizedTime before and after."""
    if 1950 <= instant.year <= 2049:
        return cms.Time(name="utc_time", value=core.UTCTime(instant))
    return cms.Time(name="generalized_time", value=core.GeneralizedTime(instant))


def rejection(fail_info: str, text: str, http_status: int = 400) -> TsaAnswer:
    """A ``TimeStampResp`` with status rejection, one failInfo bit set and a human-readable reason."""
    status = tsp.PKIStatusInfo(
        {"status": "rejection", "status_string": [text], "fail_info": tsp.PKIFailureInfo({fail_info})}
    )
    return TsaAnswer(TimeStampResp({"status": status}).dump(), http_status)
