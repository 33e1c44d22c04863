"""Constants and small calls of the CSC API (v2) shared by the remote-signing tests."""

from __future__ import annotations

import base64
import hashlib

from flask.testing import FlaskClient

V2 = "/trust/csc/v2"
SHA256 = "2.16.840.1.101.3.4.2.1"
ECDSA_SHA256 = "1.2.840.10045.4.3.2"


def digest(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def personal_id(client: FlaskClient, auth: dict[str, str]) -> str:
    ids = client.post(f"{V2}/credentials/list", json={}, headers=auth).json["credentialIDs"]
    return str(next(i for i in ids if i.startswith("crt_")))
