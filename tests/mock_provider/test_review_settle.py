"""Settling the automatic reviews: skipped while no registration waits for one, never skipping one that is due."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from mock_provider.core.clock import ManualClock
from tests.helpers.registration import applicant, walk_to_signed


def test_a_review_queued_after_settling_found_none_waiting_is_still_decided_when_due(
    client: FlaskClient, clock: ManualClock
) -> None:
    first = walk_to_signed(client)  # reviewed at once (no delay): nothing waits afterwards
    first_url = f"/trust/v1/registrations/{first['id']}"
    assert client.get(first_url, headers=applicant(first["session_token"])).json["state"] == "certificate_issued"
    assert client.get("/_mock/reviews").json["data"] == []  # settled, and found nothing waiting
    assert client.post("/_mock/scenarios", json={"kind": "review_delay", "value": 60}).status_code == 201
    second = walk_to_signed(client, email="luc.martin@cabinet-ecma.example.com", phone_number="+33623456789")
    url, auth = f"/trust/v1/registrations/{second['id']}", applicant(second["session_token"])
    assert client.get(url, headers=auth).json["state"] == "pending_validation"
    assert [r["id"] for r in client.get("/_mock/reviews").json["data"]] == [second["id"]]
    clock.advance(timedelta(seconds=60))
    assert client.get(url, headers=auth).json["state"] == "certificate_issued"
    assert client.get("/_mock/reviews").json["data"] == []
