"""The operator's SDK client over HTTP against the served mock: identity prevalidation, owner-only reads, refusals
as the SDK's errors, the secret out of the repr."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
import requests

from jesign_sdk import APIStatusError, AuthenticationError, BadRequestError, Client, ConflictError, NotFoundError
from jesign_sdk.operator import SealField, TrustOperator
from jesign_sdk.resources.trust import DocumentSide
from tests.helpers.documents import colour_png
from tests.helpers.mock import LiveMock
from tests.helpers.pdf import one_page_pdf
from tests.helpers.registration import colour_image, td1

pytestmark = pytest.mark.live

MARIE = {"email": "marie.dupont@cabinet-ecma.example.com", "full_name": "Marie DUPONT", "birthdate": date(1980, 4, 12)}


@pytest.fixture
def operator(live_mock: LiveMock) -> TrustOperator:
    return TrustOperator(live_mock.url, client_id="jesign-platform", client_secret="jesign-platform-secret")


def test_a_card_is_prevalidated_and_read_back(operator: TrustOperator) -> None:
    sides = [DocumentSide(colour_image(), "recto.jpg"), colour_png(mrz=td1("X4RTBPFW4"))]
    made = operator.id_validations.create(sides, document_type="id_card:fra", **MARIE)
    assert made.valid
    assert (made.document_number, made.document_expiry, made.reason) == ("X4RTBPFW4", date(2031, 6, 30), None)
    assert operator.id_validations.get(made.id) == made


def test_another_person_s_card_is_invalid_with_the_reason(operator: TrustOperator) -> None:
    sides = [colour_image(), colour_png(mrz=td1("X4RTBPFW4"))]
    made = operator.id_validations.create(sides, document_type="id_card:fra", **{**MARIE, "full_name": "Jean Martin"})
    assert not made.valid
    assert made.reason is not None
    assert made.reason["code"] == "mrz_name_mismatch"


def test_refusals_are_the_sdk_s_errors(operator: TrustOperator, live_mock: LiveMock) -> None:
    with pytest.raises(BadRequestError) as refused:
        operator.id_validations.create([colour_image()] * 3, document_type="id_card:fra", **MARIE)
    assert refused.value.code == "invalid_id_validation"
    with pytest.raises(NotFoundError):
        operator.id_validations.get("idv_unknown")
    wrong = TrustOperator(live_mock.url, client_id="jesign-platform", client_secret="not-the-secret")
    with pytest.raises(AuthenticationError):
        wrong.id_validations.get("idv_unknown")
    assert "not-the-secret" not in repr(wrong)
    assert "jesign-platform-secret" not in repr(operator)


def test_a_firm_s_pdf_is_sealed_through_the_seal_api(
    operator: TrustOperator, live_mock: LiveMock, registered: Callable[..., str]
) -> None:
    with pytest.raises(APIStatusError) as closed:
        operator.seals.seal(one_page_pdf(), seal_id="seal_frm_ecma")
    assert (closed.value.status_code, closed.value.code) == (403, "service_not_open")
    registered(live_mock.app)  # Marie Dupont accepts the terms: her firms' services open
    field = SealField(page=1, x=40, y=40)
    sealed = operator.seals.seal(one_page_pdf(), seal_id="seal_frm_ecma", label="Cabinet Ecma", field=field)
    [report] = Client(live_mock.url).signing.validate_pdf(sealed)
    assert report.indication == "TOTAL_PASSED", report
    assert (report.pades_level, report.revocation_status, report.field_name) == ("B-B", "good", "Seal1")
    assert report.signer_subject is not None
    assert "Cabinet Ecma" in report.signer_subject


PLATFORM_KEY = "sk_test_jesign_platform_key_0001"


def test_an_operator_opens_reads_and_lists_its_registrations_with_its_api_key(live_mock: LiveMock) -> None:
    platform = TrustOperator(live_mock.url, api_key=PLATFORM_KEY)
    assert PLATFORM_KEY not in repr(platform)
    opened = [
        platform.registrations.create(
            applicant=email, level="lcp", fullname=name, phone_number="+33687654321", language="de"
        )
        for email, name in (
            ("paul.leroy@cabinet-lefevre.example.com", "Paul LEROY"),
            ("luc.martin@cabinet-ecma.example.com", "Luc MARTIN"),
        )
    ]
    assert all(r.state == "created" and r.url.startswith(live_mock.url) and r.expires_at for r in opened)
    read = platform.registrations.get(opened[0].id)
    assert (read.applicant, read.level, read.fullname, read.language) == (
        "paul.leroy@cabinet-lefevre.example.com",
        "lcp",
        "Paul LEROY",
        "de",
    )
    listed = list(platform.registrations.list(page_size=1))  # one page per registration, the cursor followed
    assert {r.id for r in listed} >= {r.id for r in opened}
    only = list(platform.registrations.list(applicant="luc.martin@cabinet-ecma.example.com"))
    assert [r.id for r in only] == [opened[1].id]

    issued = requests.post(f"{live_mock.url}/_mock/api-keys", json={"owner": "integrator", "name": "CI"}, timeout=10)
    assert issued.status_code == 201, issued.text
    other = TrustOperator(live_mock.url, api_key=issued.json()["key"])
    with pytest.raises(NotFoundError):
        other.registrations.get(opened[0].id)
    assert list(other.registrations.list()) == []
    with pytest.raises(AuthenticationError):  # (a Bearer that is no key reads a registration as a session token: 404)
        list(TrustOperator(live_mock.url, api_key="sk_test_not_a_key").registrations.list())
    with pytest.raises(ValueError, match="api_key"):
        TrustOperator(live_mock.url)


def test_an_operator_prepares_starts_and_cancels_a_transaction(live_mock: LiveMock) -> None:
    """Universign's transaction API through the SDK: a file, a draft with its document, field and signer, started
    once (the second start the SDK's ConflictError), listed by state, cancelled; another operator sees none."""
    platform = TrustOperator(live_mock.url, api_key=PLATFORM_KEY)
    uploaded = platform.files.upload(one_page_pdf())
    assert (uploaded.pages, uploaded.id.startswith("file_")) == (1, True)
    draft = platform.transactions.create(name="Lettre de mission", language="fr")
    assert draft.state == "draft"
    document = platform.transactions.add_document(draft.id, uploaded, name="lettre.pdf")
    field = platform.transactions.add_field(draft.id, document.id, page=1, x=40, y=600)
    signature = platform.transactions.add_signature(draft.id, signer="client@example.com", field_id=field.id)
    assert signature["signer"] == "client@example.com"
    started = platform.transactions.start(draft.id)
    assert (started.state, started.signers) == ("started", ("client@example.com",))
    assert started.expires_at is not None
    assert [f.signer for f in started.documents[0].fields] == ["client@example.com"]
    with pytest.raises(ConflictError) as again:
        platform.transactions.start(draft.id)
    assert again.value.code == "transaction_wrong_state"
    assert [t.id for t in platform.transactions.list(state="started")] == [draft.id]
    assert platform.transactions.cancel(draft.id).state == "cancelled"
    assert platform.transactions.get(draft.id).state == "cancelled"
    issued = requests.post(f"{live_mock.url}/_mock/api-keys", json={"owner": "integrator", "name": "CI"}, timeout=10)
    other = TrustOperator(live_mock.url, api_key=issued.json()["key"])
    with pytest.raises(NotFoundError):
        other.transactions.get(draft.id)
    assert list(other.transactions.list()) == []
    with pytest.raises(BadRequestError) as refused:
        platform.files.upload(b"GIF89a not a PDF")
    assert refused.value.code == "invalid_file"
