"""Shared by the screen tests: Flask's test client as a browser that keeps the anti-CSRF token, the problem codes
and text of a page, the fields without a label, and the private area's walk (a registered person logged in, PDFs to
upload, pyHanko's verdict on a downloaded signature)."""

from __future__ import annotations

import asyncio
import io
import re
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from flask import Flask
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from werkzeug.test import TestResponse

from mock_provider.app import services_of
from tests.helpers.pdf import blank_pdf
from tests.helpers.registration import register_to_active

#: A loopback base URL: the SSO accepts the platform's ``/callback`` there (RFC 8252 loopback rule).
BASE = "http://127.0.0.1:8400"


class Browser:
    """Flask's test client on the base URL, reading the anti-CSRF token from the pages."""

    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()
        self.token = ""

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self._remember(self.client.get(path, base_url=BASE, **kwargs))

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        form = {"csrf_token": self.token, **(data or {})}
        return self._remember(self.client.post(path, base_url=BASE, data=form, **kwargs))

    def _remember(self, response: TestResponse) -> TestResponse:
        found = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def login(self, login: str = "marie.dupont") -> TestResponse:
        return self.get(f"/platform/login?login_hint={login}", follow_redirects=True)


def codes(response: TestResponse) -> list[str]:
    return re.findall(r'data-problem-code="([^"]+)"', response.get_data(as_text=True))


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


class _Fields(HTMLParser):
    """Collects the form fields of a page and the ids its labels name."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str | None]] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "label" and attributes.get("for"):
            self.labelled.add(str(attributes["for"]))
        if tag in ("input", "select", "textarea") and attributes.get("type") not in ("hidden", "submit"):
            self.fields.append(attributes)


def unlabelled(html: str) -> list[str]:
    parser = _Fields()
    parser.feed(html)
    return [str(f.get("name")) for f in parser.fields if f.get("id") not in parser.labelled and not f.get("aria-label")]


def otp(app: Flask, phone: str = "+33612345678") -> str:
    """The last SMS code sent to ``phone``, from the mock's outbox."""
    answer = app.test_client().get("/_mock/outbox/otp", query_string={"phone_number": phone})
    return str(answer.json["otp"])  # type: ignore[index]


def registered(app: Flask, login: str = "marie.dupont", mobile: str = "0612345678") -> Browser:
    """A seeded person registered through the APIs (all their firms opened), then logged in at the platform."""
    register_to_active(app.test_client(), login, mobile)
    browser = Browser(app)
    browser.login(login)
    return browser


def pdf_form(*names: str, **fields: Any) -> dict[str, Any]:
    """A signing form: a one-page PDF per name (the name written in it), and the other fields."""
    files = [(io.BytesIO(blank_pdf(name)), name) for name in names]
    return {"documents": files, **fields}


def post_files(browser: Browser, path: str, form: dict[str, Any]) -> TestResponse:
    """A multipart post; the answer is a page (then its anti-CSRF token is read) or a download."""
    data = {"csrf_token": browser.token, **form}
    answer = browser.client.post(path, base_url=BASE, data=data, content_type="multipart/form-data")
    return browser._remember(answer) if answer.mimetype == "text/html" else answer


def validate(app: Flask, signed: bytes) -> tuple[Any, str]:
    """pyHanko's verdict on the document's one signature (offline: the mock's root as the only trust root), and
    the signer's common name."""
    der = services_of(app).pki.hierarchy().root.certificate.public_bytes(Encoding.DER)
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(der)], allow_fetching=False)
    embedded = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures
    assert len(embedded) == 1
    # In a thread of its own: a browser test's Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        status = pool.submit(asyncio.run, async_validate_pdf_signature(embedded[0], context)).result()
    return status, embedded[0].signer_cert.subject.native["common_name"]
