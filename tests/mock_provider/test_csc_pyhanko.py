"""pyHanko's own ``CSCSigner``, unchanged, signs a PDF through the mock's CSC v1 API; the result validates.

pyHanko leaves the authorization to its caller (an ``CSCAuthorizationManager``): here it asks the mock for an SMS
code, reads it from the outbox as the person's phone would show it, and authorizes exactly the hashes about to be
signed (the credential is SCAL2).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable

import aiohttp
import pytest
import requests
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.signers.csc_signer import (
    CSCAuthorizationInfo,
    CSCAuthorizationManager,
    CSCServiceSessionInfo,
    CSCSigner,
    fetch_certs_in_csc_credential,
)
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from tests.helpers.mock import LiveMock
from tests.helpers.pdf import one_page_pdf

pytestmark = pytest.mark.live


class OutboxAuthorization(CSCAuthorizationManager):
    """Authorizes each batch of hashes with a fresh SMS code read from the mock's outbox."""

    def __init__(self, base: str, session: aiohttp.ClientSession, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.base = base
        self.session = session

    async def authorize_signature(self, hash_b64s: list[str]) -> CSCAuthorizationInfo:
        info = self.csc_session_info
        async with self.session.post(
            info.endpoint_url("credentials/sendOTP"),
            json={"credentialID": info.credential_id},
            headers=self.auth_headers,
            raise_for_status=True,
        ):
            pass
        async with self.session.get(
            f"{self.base}/_mock/outbox/otp", params={"phone_number": "+33612345678"}, raise_for_status=True
        ) as answer:
            code = (await answer.json())["otp"]
        body = self.format_csc_auth_request(num_signatures=len(hash_b64s), otp=code, hash_b64s=hash_b64s)
        async with self.session.post(
            info.endpoint_url("credentials/authorize"), json=body, headers=self.auth_headers, raise_for_status=True
        ) as answer:
            return self.parse_csc_auth_response(await answer.json())


def test_pyhanko_csc_signer_signs_through_the_mock(live_mock: LiveMock, registered: Callable[..., str]) -> None:
    token = registered(live_mock.app)
    listed = requests.post(
        f"{live_mock.url}/trust/csc/v1/credentials/list",
        json={},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    credential_id = next(c for c in listed["credentialIDs"] if c.startswith("crt_"))

    async def sign() -> bytes:
        async with aiohttp.ClientSession() as session:
            session_info = CSCServiceSessionInfo(
                service_url=f"{live_mock.url}/trust", credential_id=credential_id, oauth_token=token, api_ver="v1"
            )
            credential_info = await fetch_certs_in_csc_credential(session, session_info)
            assert credential_info.hash_pinning_required  # SCAL2
            auth = OutboxAuthorization(live_mock.url, session, session_info, credential_info)
            signer = CSCSigner(session, auth_manager=auth)
            meta = signers.PdfSignatureMetadata(field_name="Signature1", reason="Lettre de mission")
            out = await signers.async_sign_pdf(
                IncrementalPdfFileWriter(io.BytesIO(one_page_pdf())), meta, signer=signer
            )
            return out.getvalue()

    signed = asyncio.run(sign())
    root = asn1_x509.Certificate.load(requests.get(f"{live_mock.url}/pki/ca/root.cer", timeout=10).content)
    reader = PdfFileReader(io.BytesIO(signed))
    status = validate_pdf_signature(reader.embedded_signatures[0], ValidationContext(trust_roots=[root]))
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.signing_cert.subject.native["serial_number"] == "IDCFR-X4RTBPFW4"
