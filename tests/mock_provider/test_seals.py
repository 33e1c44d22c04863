"""The standalone seal service, ``POST /trust/v1/seals`` in Universign's request shape: a PDF sealed with a firm's
seal (PAdES, checked by pyHanko's own validation), invisible or visible; every refusal, with nothing sealed."""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from flask import Flask
from flask.testing import FlaskClient
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from mock_provider.core.models import OAuthClient
from mock_provider.core.services import MockServices
from tests.helpers import pdf_corpus as corpus
from tests.helpers.mock import LiveMock
from tests.helpers.pdf import one_page_pdf
from tests.helpers.registration import OPERATOR_HEADERS, problem

URL = "/trust/v1/seals"
SEAL = "seal_frm_ecma"


def seal(client: FlaskClient, pdf: bytes | None = None, headers: dict[str, str] | None = None, **form: str) -> Any:
    data: dict[str, Any] = {"seal_id": SEAL, **form}
    data["file"] = (io.BytesIO(one_page_pdf() if pdf is None else pdf), "lettre.pdf")
    return client.post(URL, data=data, content_type="multipart/form-data", headers=headers or OPERATOR_HEADERS)


def validated(services: MockServices, sealed: bytes) -> Any:
    root = asn1_x509.Certificate.load(services.pki.hierarchy().root.certificate.public_bytes(Encoding.DER))
    signature = PdfFileReader(io.BytesIO(sealed), strict=False).embedded_signatures[-1]
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root], allow_fetching=False))
    assert status.intact
    assert status.valid
    assert status.trusted
    return signature, status


@pytest.fixture
def opened(app: Flask, registered: Callable[..., str]) -> None:
    """Marie Dupont registered to the end: her firms' services are open."""
    registered(app)


@pytest.mark.usefixtures("opened")
def test_a_pdf_is_sealed_invisibly_with_the_firm_s_seal(client: FlaskClient, services: MockServices) -> None:
    answer = seal(client)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert answer.mimetype == "application/pdf"
    signature, status = validated(services, answer.data)
    subject = status.signing_cert.subject.native
    assert subject["organization_name"] == "Cabinet Ecma"
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    rect = [float(v) for v in signature.sig_field.get("/Rect", [0, 0, 0, 0])]
    assert rect[2] - rect[0] == 0  # invisible: no box on the page
    assert status.signer_reported_dt is None or status.signer_reported_dt.year >= 2026


@pytest.mark.usefixtures("opened")
@pytest.mark.parametrize("language", ["fr", "bg", "pl"])
def test_a_visible_seal_lies_where_asked_with_its_label(
    client: FlaskClient, services: MockServices, language: str
) -> None:
    answer = seal(client, field_page="1", field_x="50", field_y="60", label="Jean Dupont, gérant", language=language)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    signature, _ = validated(services, answer.data)
    x0, y0, x1, y1 = (float(v) for v in signature.sig_field["/Rect"])
    page_height = float(PdfFileReader(io.BytesIO(answer.data)).root["/Pages"]["/Kids"][0]["/MediaBox"][3])
    assert (x0, x1) == (50, 250)
    assert (y0, y1) == (page_height - 110, page_height - 60)  # 60 points from the top, 50 high
    assert signature.sig_object["/Reason"] == "Jean Dupont, gérant"


@pytest.mark.usefixtures("opened")
def test_an_already_signed_pdf_keeps_its_signature(client: FlaskClient, services: MockServices) -> None:
    first = seal(client).data
    second = seal(client, pdf=first)
    assert second.status_code == 200
    signatures = PdfFileReader(io.BytesIO(second.data)).embedded_signatures
    assert [s.field_name for s in signatures] == ["Seal1", "Seal2"]
    root = asn1_x509.Certificate.load(services.pki.hierarchy().root.certificate.public_bytes(Encoding.DER))
    for signature in signatures:
        assert validate_pdf_signature(signature, ValidationContext(trust_roots=[root])).intact


@pytest.mark.usefixtures("opened")
@pytest.mark.parametrize(
    ("form", "pdf", "field"),
    [
        ({"seal_id": ""}, None, "seal_id"),
        ({"seal_id": "scd_wa7ZVZGxz0q1"}, None, "seal_id"),
        ({}, b"GIF89a not a pdf", "file"),
        ({}, b"", "file"),
        ({"language": "ja"}, None, "language"),
        ({"field_page": "0"}, None, "field_page"),
        ({"field_page": "2"}, None, "field_page"),
        ({"field_x": "-5", "field_page": "1"}, None, "field_x"),
        ({"field_x": "500", "field_page": "1"}, None, "field_x"),
        ({"field_y": "800", "field_page": "1"}, None, "field_y"),
        ({"label": "x" * 201}, None, "label"),
        ({"label": "ሰላም", "field_page": "1"}, None, "label"),  # Ethiopic: no font at hand draws it
        ({}, b"%PDF-1.7\nnot really a pdf\n%%EOF", "file"),
    ],
)
def test_a_request_that_cannot_be_sealed_is_refused(
    client: FlaskClient, form: dict[str, str], pdf: bytes | None, field: str
) -> None:
    answer = seal(client, pdf=pdf, **form)
    assert [e["field"] for e in problem(answer, 400, "invalid_seal_request")["errors"]] == [field]


def test_a_firm_s_seal_waits_for_its_terms(client: FlaskClient) -> None:
    problem(seal(client), 403, "service_not_open")


@pytest.mark.usefixtures("opened")
def test_only_the_platform_holds_the_firms_seals(client: FlaskClient, services: MockServices) -> None:
    problem(seal(client, seal_id="seal_frm_nope"), 404, "seal_not_found")
    with services.db.transaction() as session:
        session.add(OAuthClient(client_id="integrator", client_secret="integrator-secret", redirect_uris="", name="x"))
    other = {"Authorization": "Basic " + base64.b64encode(b"integrator:integrator-secret").decode()}
    problem(seal(client, headers=other), 404, "seal_not_found")
    problem(client.post(URL, data={}, content_type="multipart/form-data"), 401, "operator_authentication_required")
    problem(client.post(URL, json={"seal_id": SEAL}, headers=OPERATOR_HEADERS), 400, "invalid_upload")


@pytest.mark.usefixtures("opened")
def test_a_revoked_seal_seals_nothing(client: FlaskClient, services: MockServices) -> None:
    assert seal(client).status_code == 200  # the seal issued on its first use
    certificates = client.get("/_mock/certificates").json["data"]
    seal_certificate = next(c for c in certificates if c["profile"] == "seal")
    assert client.post(f"/_mock/certificates/{seal_certificate['id']}/revoke").status_code == 200
    problem(seal(client), 409, "credential_revoked")


# -- real-world files ---------------------------------------------------------------------------------------------

#: The awkward-PDF corpus the SDK signs: each is sealed, its earlier signatures kept intact.
SEALABLE: dict[str, Callable[[], bytes]] = {
    "incremental updates": corpus.incremental_updates,
    "stream xref and object streams": corpus.object_streams,
    "hybrid xref": corpus.hybrid_xref,
    "form with fields": corpus.form_with_fields,
    "XFA form": corpus.xfa_form,
    "a foreign signature": lambda: corpus.signed_by(corpus.foreign_signer(), corpus.simple_pdf()),
    "a page content that is not zlib": corpus.broken_page_content,
    "rotated 90": lambda: corpus.simple_pdf(rotate=90),
    "three pages": lambda: corpus.simple_pdf(pages=3),
}
#: And the ones no seal can go on: refused with the code, the file named, never a 500.
UNSEALABLE: dict[str, Callable[[], bytes]] = {
    "truncated": corpus.truncated,
    "garbage after a PDF header": corpus.garbage,
    "a broken object stream": corpus.broken_object_stream,
    "encrypted with a password": lambda: corpus.encrypted("secret"),
    "certified, no change allowed": lambda: corpus.signed_by(
        corpus.foreign_signer(), corpus.simple_pdf(), certify=True
    ),
}


@pytest.mark.usefixtures("opened")
@pytest.mark.parametrize("case", SEALABLE)
def test_each_awkward_file_is_sealed_and_validates(client: FlaskClient, services: MockServices, case: str) -> None:
    original = SEALABLE[case]()
    answer = seal(client, pdf=original, field_page="1", field_x="20", field_y="20", label=case)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert answer.data.startswith(original)  # an incremental update: the file as it came, then the seal
    signature, _ = validated(services, answer.data)
    assert signature.field_name.startswith("Seal")
    for earlier in PdfFileReader(io.BytesIO(answer.data), strict=False).embedded_signatures[:-1]:
        assert validate_pdf_signature(earlier, ValidationContext(trust_roots=[], allow_fetching=False)).intact


@pytest.mark.usefixtures("opened")
@pytest.mark.parametrize("case", UNSEALABLE)
def test_each_unsealable_file_is_refused_with_its_code(client: FlaskClient, case: str) -> None:
    answer = seal(client, pdf=UNSEALABLE[case]())
    assert [e["field"] for e in problem(answer, 400, "invalid_seal_request")["errors"]] == ["file"]


@pytest.mark.usefixtures("opened")
def test_poppler_s_pdfsig_finds_the_seal_valid(client: FlaskClient, tmp_path: Path) -> None:
    """An independent validator: poppler's ``pdfsig`` (which .ci/run installs) checks the seal's signature."""
    pdfsig = shutil.which("pdfsig")
    if pdfsig is None:
        if os.environ.get("CI"):
            pytest.fail("pdfsig (poppler-utils) is missing: .ci/run installs it")
        pytest.skip("pdfsig (poppler-utils) is not installed")
    sealed = tmp_path / "scelle.pdf"
    sealed.write_bytes(seal(client, field_page="1", field_x="30", field_y="30", label="Cabinet Ecma").data)
    checked = subprocess.run([pdfsig, str(sealed)], capture_output=True, text=True, check=False, timeout=60)
    assert "Signature Validation: Signature is Valid." in checked.stdout, checked.stdout
    assert "Cabinet Ecma" in checked.stdout


def test_parallel_first_seals_issue_one_seal_certificate(live_mock: LiveMock, registered: Callable[..., str]) -> None:
    """The firm's seal certificate is issued on its first use: six seal calls at once issue one, and each PDF is
    sealed with it."""
    registered(live_mock.app)
    pdf = one_page_pdf()

    def one(_: int) -> requests.Response:
        files = {"file": ("lettre.pdf", pdf, "application/pdf")}
        return requests.post(
            f"{live_mock.url}{URL}", data={"seal_id": SEAL}, files=files, headers=OPERATOR_HEADERS, timeout=60
        )

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(one, range(6)))
    assert [a.status_code for a in answers] == [200] * 6
    seals = [
        c
        for c in requests.get(f"{live_mock.url}/_mock/certificates", timeout=10).json()["data"]
        if c["profile"] == "seal"
    ]
    ecma = [c for c in seals if "Ecma" in c["subject"]]
    assert len(ecma) == 1, seals
    serials = {PdfFileReader(io.BytesIO(a.content)).embedded_signatures[0].signer_cert.serial_number for a in answers}
    assert len(serials) == 1
