"""The registration's French texts: the guide's messages and the versioned texts a person accepts.

The subscription agreement (step 4), the CGU and the privacy policy (step 6) are read from ``mock_provider/texts``;
each carries its version and SHA-256, which the applicant's consent and the terms' acceptance must name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import TypedDict

#: The guide's own message when the birth date or a consent is missing (step 2).
IDENTITY_INCOMPLETE_MESSAGE = "Vous devez saisir votre date de naissance puis cocher les cases."

READ_ONLY_MESSAGE = (
    "Nom, prénom, adresse e-mail et cabinets viennent de Comptexpert : pour les modifier, "
    "rapprochez-vous de votre conseil régional de l'ordre (CROEC)."
)

AGREEMENT_PURPOSE = "subscription_agreement"

TERMS_VERSION = "2026-01"

APPROVAL_SUBJECT = "Félicitations ! Votre certificat est disponible"

AGREEMENT_VERSION = "2026-01"


def _text(name: str) -> str:
    return resources.files("mock_provider.texts").joinpath(name).read_text(encoding="utf-8")


class TextJson(TypedDict):
    """A versioned text as the APIs serve it, with the SHA-256 a consent must quote."""

    name: str
    version: str
    language: str
    sha256: str
    text: str


@dataclass(frozen=True)
class VersionedText:
    name: str
    version: str
    language: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def as_json(self) -> TextJson:
        return {
            "name": self.name,
            "version": self.version,
            "language": self.language,
            "sha256": self.sha256,
            "text": self.text,
        }


AGREEMENT = VersionedText("subscription_agreement", AGREEMENT_VERSION, "fr", _text("subscription-agreement-fr.txt"))

CGU = VersionedText("cgu", TERMS_VERSION, "fr", _text("cgu-fr.txt"))

PRIVACY_POLICY = VersionedText("privacy_policy", TERMS_VERSION, "fr", _text("privacy-policy-fr.txt"))
