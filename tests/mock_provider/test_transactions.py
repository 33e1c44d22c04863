"""Universign's transaction API, first slice: files, drafts, documents, fields, signatures, start, cancel, reads,
expiry on the mock clock, the ``transaction.lifecycle.*`` events; every refusal a problem that changed nothing."""

from __future__ import annotations

import base64
import io
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from mock_provider import create_app
from mock_provider.app import services_of
from mock_provider.core.clock import ManualClock
from mock_provider.core.models import OAuthClient
from mock_provider.core.services import MockServices
from mock_provider.core.transactions.models import (
    SigningTransaction,
    TransactionDocument,
    TransactionField,
    TransactionSignature,
    TrustFile,
)
from mock_provider.core.transactions.rules import MAX_FILE_BYTES
from mock_provider.core.webhooks.models import WebhookEvent
from tests.helpers.mock import memory_config
from tests.helpers.pdf import one_page_pdf
from tests.helpers.registration import OPERATOR_HEADERS, problem

TX = "/trust/v1/transactions"
FORM = "application/x-www-form-urlencoded"


def upload(client: FlaskClient, pdf: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
    data = {"file": (io.BytesIO(one_page_pdf() if pdf is None else pdf), "contrat.pdf")}
    return client.post(
        "/trust/v1/files",
        data=data,
        content_type="multipart/form-data",
        headers=OPERATOR_HEADERS if headers is None else headers,
    )


def post(client: FlaskClient, path: str, headers: dict[str, str] | None = None, **form: str) -> Any:
    return client.post(path, data=form, content_type=FORM, headers=OPERATOR_HEADERS if headers is None else headers)


def ready(client: FlaskClient) -> dict[str, Any]:
    """A draft with one document, one field and its signer: ready to start."""
    file_id = upload(client).json["id"]
    tx = post(client, TX, name="Lettre de mission").json
    doc = post(client, f"{TX}/{tx['id']}/documents", document=file_id).json
    field = post(client, f"{TX}/{tx['id']}/documents/{doc['id']}/fields", type="signature", page="1", x="72", y="600")
    assert field.status_code == 200, field.json
    signature = post(client, f"{TX}/{tx['id']}/signatures", signer="client@example.com", field=field.json["id"])
    assert signature.status_code == 200, signature.json
    return {"tx": tx, "doc": doc, "field": field.json, "file": file_id}


def snapshot(services: MockServices) -> list[Any]:
    with services.db.read() as session:
        return [
            sorted(
                (tuple(getattr(row, c.key) for c in model.__table__.columns) for row in session.scalars(select(model))),
                key=repr,
            )
            for model in (
                TrustFile,
                SigningTransaction,
                TransactionDocument,
                TransactionField,
                TransactionSignature,
                WebhookEvent,
            )
        ]


def other_operator(services: MockServices) -> dict[str, str]:
    with services.db.transaction() as session:
        session.add(OAuthClient(client_id="integrator", client_secret="integrator-secret", redirect_uris="", name="x"))
    return {"Authorization": "Basic " + base64.b64encode(b"integrator:integrator-secret").decode()}


def refused(services: MockServices, answer: Any, status: int, code: str, before: list[Any]) -> dict[str, Any]:
    body = problem(answer, status, code)
    assert snapshot(services) == before
    return body


def test_a_transaction_is_prepared_started_and_read(client: FlaskClient, services: MockServices) -> None:
    made = ready(client)
    assert made["tx"]["state"] == "draft"
    assert made["tx"]["object"] == "transaction"
    assert made["tx"]["duration"] == 15 * 24 * 60
    assert made["doc"]["name"] == "contrat.pdf"
    assert made["doc"]["pages"] == 1
    tx_id = made["tx"]["id"]
    started = post(client, f"{TX}/{tx_id}/start")
    assert started.status_code == 200, started.json
    body = started.json
    assert body["state"] == "started"
    assert body["participants"] == [{"email": "client@example.com"}]
    assert body["documents"][0]["fields"][0]["signer"] == "client@example.com"
    assert body["expires_at"] is not None
    assert client.get(f"{TX}/{tx_id}", headers=OPERATOR_HEADERS).json == body


def test_files_are_judged_by_content(client: FlaskClient, services: MockServices) -> None:
    before = snapshot(services)
    refused(services, upload(client, b"GIF89a not a pdf"), 400, "invalid_file", before)
    refused(services, upload(client, b"%PDF-1.7 broken"), 400, "invalid_file", before)
    refused(services, upload(client, b""), 400, "invalid_file", before)
    answer = client.post("/trust/v1/files", json={"file": "x"}, headers=OPERATOR_HEADERS)
    refused(services, answer, 400, "invalid_upload", before)
    refused(services, upload(client, headers={}), 401, "operator_authentication_required", before)


def test_an_encrypted_pdf_is_refused(client: FlaskClient, services: MockServices) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import PdfFileWriter, copy_into_new_writer

    writer: PdfFileWriter = copy_into_new_writer(PdfFileReader(io.BytesIO(one_page_pdf())))
    writer.encrypt("owner-secret", "user-secret")
    out = io.BytesIO()
    writer.write(out)
    before = snapshot(services)
    body = refused(services, upload(client, out.getvalue()), 400, "invalid_file", before)
    assert "unencrypted" in body["errors"][0]["detail"]


def test_every_preparation_refusal_changes_nothing(client: FlaskClient, services: MockServices) -> None:
    made = ready(client)
    tx_path = f"{TX}/{made['tx']['id']}"
    fields = f"{tx_path}/documents/{made['doc']['id']}/fields"
    before = snapshot(services)
    refused(services, post(client, TX, language="xx"), 400, "invalid_transaction", before)
    refused(services, post(client, TX, duration="0"), 400, "invalid_transaction", before)
    answer = client.post(TX, json={"name": "x"}, headers=OPERATOR_HEADERS)
    refused(services, answer, 400, "invalid_form", before)
    refused(services, post(client, f"{tx_path}/documents"), 400, "invalid_document", before)
    refused(services, post(client, f"{tx_path}/documents", document="file_nope"), 404, "file_not_found", before)
    refused(
        services, post(client, f"{TX}/tx_nope/documents", document=made["file"]), 404, "transaction_not_found", before
    )
    refused(services, post(client, fields, type="visa", page="1", x="0", y="0"), 400, "invalid_field", before)
    refused(services, post(client, fields, type="signature", page="2", x="0", y="0"), 400, "invalid_field", before)
    refused(services, post(client, fields, type="signature", page="1", x="500", y="0"), 400, "invalid_field", before)
    refused(services, post(client, fields, type="signature", page="1", x="0", y="800"), 400, "invalid_field", before)
    refused(services, post(client, fields, type="signature", page="1", x="-1", y="0"), 400, "invalid_field", before)
    refused(services, post(client, fields, type="signature"), 400, "invalid_field", before)
    no_doc = f"{tx_path}/documents/doc_nope/fields"
    refused(services, post(client, no_doc, type="signature", page="1", x="0", y="0"), 404, "document_not_found", before)
    signatures = f"{tx_path}/signatures"
    refused(
        services, post(client, signatures, signer="nobody", field=made["field"]["id"]), 400, "invalid_signature", before
    )
    refused(
        services, post(client, signatures, signer="a@example.com", field="fld_nope"), 404, "field_not_found", before
    )
    again = post(client, signatures, signer="b@example.com", field=made["field"]["id"])
    refused(services, again, 409, "field_already_signed", before)


def test_twenty_documents_and_no_more(client: FlaskClient, services: MockServices) -> None:
    file_id = upload(client).json["id"]
    tx_id = post(client, TX).json["id"]
    for number in range(20):
        assert post(client, f"{TX}/{tx_id}/documents", document=file_id, name=f"d{number}").status_code == 200
    before = snapshot(services)
    body = refused(
        services, post(client, f"{TX}/{tx_id}/documents", document=file_id), 409, "too_many_documents", before
    )
    assert body["limit"] == 20


def test_start_needs_a_document_and_a_signature(client: FlaskClient, services: MockServices) -> None:
    tx_id = post(client, TX).json["id"]
    before = snapshot(services)
    body = refused(services, post(client, f"{TX}/{tx_id}/start"), 409, "transaction_incomplete", before)
    assert body["missing"] == ["document", "signature"]


def test_a_transaction_starts_once_even_in_parallel(client: FlaskClient, services: MockServices) -> None:
    tx_id = ready(client)["tx"]["id"]
    assert _parallel_starts(client, tx_id) == [200, 409, 409, 409]
    before = snapshot(services)
    body = refused(services, post(client, f"{TX}/{tx_id}/start"), 409, "transaction_wrong_state", before)
    assert body["state"] == "started"
    with services.db.read() as session:
        assert session.scalar(select(SigningTransaction.state).where(SigningTransaction.id == tx_id)) == "started"


def test_cancel_from_draft_or_started_only(client: FlaskClient, services: MockServices) -> None:
    draft = post(client, TX).json["id"]
    assert post(client, f"{TX}/{draft}/cancel").json["state"] == "cancelled"
    before = snapshot(services)
    refused(services, post(client, f"{TX}/{draft}/cancel"), 409, "transaction_wrong_state", before)
    refused(services, post(client, f"{TX}/{draft}/start"), 409, "transaction_wrong_state", before)
    started = ready(client)["tx"]["id"]
    assert post(client, f"{TX}/{started}/start").status_code == 200
    cancelled = post(client, f"{TX}/{started}/cancel").json
    assert cancelled["state"] == "cancelled"
    assert cancelled["ended_at"] is not None
    before = snapshot(services)
    refused(
        services, post(client, f"{TX}/{started}/documents", document="file_x"), 409, "transaction_wrong_state", before
    )


def test_another_operator_sees_nothing(client: FlaskClient, services: MockServices) -> None:
    made = ready(client)
    tx_id = made["tx"]["id"]
    other = other_operator(services)
    before = snapshot(services)
    refused(services, client.get(f"{TX}/{tx_id}", headers=other), 404, "transaction_not_found", before)
    refused(services, post(client, f"{TX}/{tx_id}/start", headers=other), 404, "transaction_not_found", before)
    refused(services, post(client, f"{TX}/{tx_id}/cancel", headers=other), 404, "transaction_not_found", before)
    theirs = post(client, TX, headers=other).json["id"]
    before = snapshot(services)
    answer = post(client, f"{TX}/{theirs}/documents", headers=other, document=made["file"])
    refused(services, answer, 404, "file_not_found", before)
    assert [t["id"] for t in client.get(TX, headers=other).json["data"]] == [theirs]
    assert tx_id in [t["id"] for t in client.get(TX, headers=OPERATOR_HEADERS).json["data"]]
    refused(services, client.get(TX), 401, "operator_authentication_required", before)


def test_the_list_is_paginated_and_filtered(client: FlaskClient, services: MockServices) -> None:
    made = [post(client, TX, name=f"t{n}").json["id"] for n in range(5)]
    post(client, f"{TX}/{made[0]}/cancel")
    first = client.get(TX, query_string={"limit": 2}, headers=OPERATOR_HEADERS).json
    assert [t["id"] for t in first["data"]] == [made[4], made[3]]
    assert first["has_more"] is True
    rest = client.get(TX, query_string={"limit": 10, "starting_after": made[3]}, headers=OPERATOR_HEADERS).json
    assert [t["id"] for t in rest["data"]] == [made[2], made[1], made[0]]
    assert rest["has_more"] is False
    cancelled = client.get(TX, query_string={"state": "cancelled"}, headers=OPERATOR_HEADERS).json["data"]
    assert [t["id"] for t in cancelled] == [made[0]]
    before = snapshot(services)
    for query in ({"state": "lost"}, {"limit": "0"}, {"limit": "x"}, {"starting_after": "tx_nope"}):
        refused(services, client.get(TX, query_string=query, headers=OPERATOR_HEADERS), 400, "invalid_query", before)


def test_a_started_transaction_expires_on_the_mock_clock(
    client: FlaskClient, services: MockServices, clock: ManualClock
) -> None:
    tx_id = ready(client)["tx"]["id"]
    duration = post(client, TX, duration="60").json
    assert duration["duration"] == 60
    assert post(client, f"{TX}/{tx_id}/start").status_code == 200
    clock.advance(timedelta(days=15) - timedelta(seconds=1))
    assert client.get(f"{TX}/{tx_id}", headers=OPERATOR_HEADERS).json["state"] == "started"
    clock.advance(timedelta(seconds=1))
    listed = client.get(TX, query_string={"state": "expired"}, headers=OPERATOR_HEADERS).json["data"]
    assert [t["id"] for t in listed] == [tx_id]
    read = client.get(f"{TX}/{tx_id}", headers=OPERATOR_HEADERS).json
    assert read["state"] == "expired"
    before = snapshot(services)
    refused(services, post(client, f"{TX}/{tx_id}/cancel"), 409, "transaction_wrong_state", before)


def test_the_lifecycle_events_are_queued_with_the_changes(
    client: FlaskClient, services: MockServices, clock: ManualClock
) -> None:
    names = [f"transaction.lifecycle.{n}" for n in ("created", "started", "cancelled", "expired")]
    hook = {"url": "http://127.0.0.1:9/hooks", "events": names}
    assert client.post("/trust/v1/webhooks", json=hook, headers=OPERATOR_HEADERS).status_code == 201
    first = ready(client)["tx"]["id"]
    post(client, f"{TX}/{first}/start")
    second = ready(client)["tx"]["id"]
    post(client, f"{TX}/{second}/start")
    post(client, f"{TX}/{second}/cancel")
    clock.advance(timedelta(days=16))
    client.get(TX, headers=OPERATOR_HEADERS)
    client.get(TX, headers=OPERATOR_HEADERS)  # read twice: expired once
    with services.db.read() as session:
        events = session.scalars(select(WebhookEvent).order_by(WebhookEvent.created_at, WebhookEvent.id)).all()
        seen = [(e.type.rsplit(".", 1)[1], e.body) for e in events]
    about = {
        name: [body for kind, body in seen if kind == name] for name in ("created", "started", "cancelled", "expired")
    }
    assert [len(about[n]) for n in ("created", "started", "cancelled", "expired")] == [2, 2, 1, 1]
    assert first in about["expired"][0]
    assert second in about["cancelled"][0]


def test_a_file_is_at_most_25_mb(client: FlaskClient, services: MockServices) -> None:
    from mock_provider.server import UPLOAD_FORM_OVERHEAD, body_limit

    assert body_limit(services.config, "/trust/v1/files") == MAX_FILE_BYTES + UPLOAD_FORM_OVERHEAD
    before = snapshot(services)
    too_big = b"%PDF-1.7\n" + b"0" * (MAX_FILE_BYTES - 8)
    body = refused(services, upload(client, too_big), 400, "invalid_file", before)
    assert body["errors"][0]["detail"] == f"at most {MAX_FILE_BYTES} bytes"


def _parallel_starts(client: FlaskClient, tx_id: str, count: int = 4) -> list[int]:
    statuses: list[int] = []
    barrier = threading.Barrier(count)

    def start() -> None:
        mine = client.application.test_client()
        barrier.wait()
        statuses.append(post(mine, f"{TX}/{tx_id}/start").status_code)

    threads = [threading.Thread(target=start) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


@pytest.mark.slow
def test_parallel_starts_on_an_sqlite_file_start_once(tmp_path: Path, clock: ManualClock) -> None:
    """An in-memory database serialises every transaction of its process; a file lets the requests overlap. The
    same race with the rule-breakage switch on lets every start through, so the test can tell."""
    app = create_app(memory_config(database_url=f"sqlite:///{tmp_path / 'mock.db'}"), clock=clock)
    try:
        client = app.test_client()
        assert _parallel_starts(client, ready(client)["tx"]["id"]) == [200, 409, 409, 409]
        switched = client.put("/_mock/breakages", json={"active": ["transaction_started_twice"]})
        assert switched.status_code == 200
        assert _parallel_starts(client, ready(client)["tx"]["id"]) == [200, 200, 200, 200]
    finally:
        services_of(app).close()


def test_a_retried_create_with_its_idempotency_key_makes_one_draft(client: FlaskClient, services: MockServices) -> None:
    headers = {**OPERATOR_HEADERS, "Idempotency-Key": "create-once"}
    first = post(client, TX, headers=headers, name="Contrat")
    again = post(client, TX, headers=headers, name="Contrat")
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert [t["id"] for t in client.get(TX, headers=OPERATOR_HEADERS).json["data"]] == [first.json["id"]]
