"""The registration e-mail: sent at the hand-off, with the help document « comment télécharger sa pièce
d'identité » attached (a PDF, downloadable from the control plane's outbox)."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from pypdf import PdfReader

from tests.helpers.registration import bearer, sso_login


def test_the_hand_off_sends_the_registration_email_with_the_help_document(client: FlaskClient) -> None:
    auth = bearer(sso_login(client, "marie.dupont"))
    assert client.post("/platform/api/v1/registration/profile", json={"mobile_number": "0612345678"}, headers=auth)
    started = client.post("/platform/api/v1/registration/certificate-request", json={}, headers=auth)
    assert started.status_code == 201
    resumed = client.post("/platform/api/v1/registration/certificate-request", json={}, headers=auth)
    assert resumed.status_code == 200
    listed = client.get("/_mock/outbox", query_string={"channel": "email"}).json["data"]
    sent = [m for m in listed if m["subject"] == "Votre enregistrement sur jesignexpert.com"]
    assert len(sent) == 1  # once per request: resuming it sends nothing
    (email,) = sent
    assert email["recipient"] == "marie.dupont@cabinet-ecma.example.com"
    assert email["related_id"] == started.json["id"]
    assert "comment télécharger sa pièce d'identité" in email["body"]
    (attached,) = email["attachments"]
    assert (attached["name"], attached["media_type"]) == (
        "comment-telecharger-sa-piece-d-identite.pdf",
        "application/pdf",
    )
    downloaded = client.get(f"/_mock/outbox/{email['id']}/attachments/{attached['id']}")
    assert downloaded.status_code == 200
    assert downloaded.mimetype == "application/pdf"
    assert "comment-telecharger" in downloaded.headers["Content-Disposition"]
    assert len(downloaded.data) == attached["size"]
    text = PdfReader(io.BytesIO(downloaded.data)).pages[0].extract_text()
    assert "Comment télécharger sa pièce d'identité" in text
    assert "en couleur" in text
    assert "4 Mo" in text  # the mock's own limit per side
    other = client.get(f"/_mock/outbox/msg_nope/attachments/{attached['id']}")  # another message's id
    assert (other.status_code, other.json["code"]) == (404, "attachment_not_found")
