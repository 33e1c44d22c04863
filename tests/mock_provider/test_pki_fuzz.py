"""Random and mutated input to OCSP and the TSA: always the protocol's own answer, never a 500, no state change."""

from __future__ import annotations

import pytest
from asn1crypto import ocsp as asn1_ocsp
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_provider.app import services_of
from mock_provider.core.pki.tsa import TimeStampResp
from tests.helpers.pki import issue_person, ocsp_request, tsa_request

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _replace(data: bytes, index: int, value: int) -> bytes:
    return data[:index] + bytes([value]) + data[index + 1 :]


def _mutations(valid: bytes) -> st.SearchStrategy[bytes]:
    """Bytes near a valid request: one byte changed, truncated, or extended."""
    # Positions are drawn independently of the length (which varies with the serial number), then folded in.
    flip = st.tuples(st.integers(0, 4096), st.integers(0, 255)).map(
        lambda change: _replace(valid, change[0] % len(valid), change[1])
    )
    cut = st.integers(0, 4096).map(lambda n: valid[: n % len(valid)])
    grow = st.binary(min_size=1, max_size=8).map(lambda extra: valid + extra)
    return st.one_of(flip, cut, grow, st.binary(max_size=300))


@FUZZ
@given(data=st.data())
@pytest.mark.slow
def test_ocsp_never_fails_on_bad_bytes(app: Flask, data: st.DataObject) -> None:
    services = services_of(app)
    valid = ocsp_request(issue_person(services).certificate, services.pki.hierarchy()["person"].certificate)
    revision = services.pki.revision()
    body = data.draw(_mutations(valid))
    response = app.test_client().post("/pki/ocsp", data=body, content_type="application/ocsp-request")
    assert response.status_code in (200, 400)
    status = asn1_ocsp.OCSPResponse.load(response.data)["response_status"].native
    assert status in ("successful", "malformed_request", "unauthorized")
    assert services.pki.revision() == revision


@FUZZ
@given(data=st.data())
@pytest.mark.slow
def test_tsa_never_fails_on_bad_bytes(app: Flask, data: st.DataObject) -> None:
    body = data.draw(_mutations(tsa_request()))
    response = app.test_client().post("/pki/tsa", data=body, content_type="application/timestamp-query")
    assert response.status_code in (200, 400)
    status = TimeStampResp.load(response.data)["status"]["status"].native
    assert status in ("granted", "rejection")
    assert (status == "granted") == (response.status_code == 200)
