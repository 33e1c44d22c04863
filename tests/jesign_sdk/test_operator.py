"""The operator's SDK client over HTTP against the served mock: identity prevalidation, owner-only reads, refusals
as the SDK's errors, the secret out of the repr."""

from __future__ import annotations

from datetime import date

import pytest

from jesign_sdk import AuthenticationError, BadRequestError, NotFoundError
from jesign_sdk.operator import TrustOperator
from jesign_sdk.resources.trust import DocumentSide
from tests.helpers.documents import colour_png
from tests.helpers.mock import LiveMock
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
