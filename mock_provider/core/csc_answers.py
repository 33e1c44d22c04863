"""The shapes of the CSC API's answers that the core builds (``credentials/info``, ``credentials/authorize``): the
wire format itself, as typed dictionaries, so that mypy checks every key the core writes and the API reads."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

__all__ = ["CscCertInfo", "CscCredentialInfo", "CscKeyInfo", "CscOtpInfo", "SadAnswer"]


class CscKeyInfo(TypedDict):
    status: Literal["enabled", "disabled"]
    algo: list[str]
    len: int
    curve: NotRequired[str]


class CscCertInfo(TypedDict):
    status: Literal["valid", "revoked", "expired"]
    certificates: list[str]
    issuerDN: str
    serialNumber: str
    subjectDN: str
    validFrom: str
    validTo: str


class CscOtpInfo(TypedDict):
    presence: str
    type: str
    format: str
    label: str
    ID: str
    description: NotRequired[str]


#: The CSC ``credentials/info`` answer (v2 names; the API adds v1's where it serves v1).
class CscCredentialInfo(TypedDict):
    description: str
    key: CscKeyInfo
    cert: CscCertInfo
    authMode: str
    SCAL: str
    multisign: int
    lang: str
    OTP: NotRequired[CscOtpInfo]


class SadAnswer(TypedDict):
    """The CSC ``credentials/authorize`` answer."""

    SAD: str
    expiresIn: int
