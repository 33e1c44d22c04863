"""``jesign_sdk.webhooks.verify`` against deliveries signed here with joserfc (no mock): what passes, what each
refusal raises, the key rotation, the replay store; and the loopback receiver."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import responses
from joserfc import jws
from joserfc.jwk import ECKey, OctKey, RSAKey
from joserfc.registry import HeaderParameter

from jesign_sdk import JesignError
from jesign_sdk.webhook_receiver import WebhookReceiver
from jesign_sdk.webhooks import (
    SIGNATURE_HEADER,
    JwksFetcher,
    MemoryReplayStore,
    WebhookPayloadError,
    WebhookReplayError,
    WebhookSignatureError,
    WebhookTimestampError,
    verify,
)

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
REGISTRY = jws.JWSRegistry(
    header_registry={"iat": HeaderParameter("signing time", "int", True)}, algorithms=["ES256", "RS256", "HS256"]
)
BODY = json.dumps(
    {"id": "evt_1", "type": "registration.created", "created": NOW.isoformat(), "data": {"id": "reg_1"}}
).encode()


def key(kid: str = "k1") -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid, "alg": "ES256"})


def jwks(*keys: ECKey | RSAKey) -> dict[str, Any]:
    return {"keys": [k.as_dict(private=False) for k in keys]}


def signed(body: bytes, signer: ECKey | RSAKey | OctKey, *, at: datetime = NOW, **header: Any) -> dict[str, str]:
    protected = {"alg": "ES256", "kid": signer.kid, "iat": int(at.timestamp()), **header}
    value = jws.serialize_compact(protected, body, signer, registry=REGISTRY)
    return {SIGNATURE_HEADER: jws.detach_content(value)}


def test_a_good_delivery_gives_its_typed_event() -> None:
    signer = key()
    event = verify(BODY, signed(BODY, signer), jwks(signer), now=NOW)
    assert (event.id, event.type, event.data) == ("evt_1", "registration.created", {"id": "reg_1"})
    assert event.created == NOW
    assert event.signed_at == NOW
    assert event.key_id == "k1"
    lowered = {k.lower(): v for k, v in signed(BODY, signer).items()}
    assert verify(BODY, lowered, jwks(signer), now=NOW).id == "evt_1"  # header names are case-insensitive


def test_rs256_is_accepted_too() -> None:
    signer = RSAKey.generate_key(2048, parameters={"kid": "r1", "alg": "RS256"})
    assert verify(BODY, signed(BODY, signer, alg="RS256"), jwks(signer), now=NOW).id == "evt_1"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body: body.replace(b"reg_1", b"reg_2"),
        lambda body: body + b" ",
        lambda body: json.dumps(json.loads(body), indent=1).encode(),  # re-serialised: not the bytes signed
    ],
)
def test_a_tampered_body_is_refused(tamper: Any) -> None:
    signer = key()
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify(tamper(BODY), signed(BODY, signer), jwks(signer), now=NOW)


def test_a_wrong_key_is_refused() -> None:
    signer, published = key("k1"), key("k1")  # same kid, another key
    with pytest.raises(WebhookSignatureError):
        verify(BODY, signed(BODY, signer), jwks(published), now=NOW)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "no Jesign-Signature"),
        ({SIGNATURE_HEADER: "not a jws"}, "detached compact JWS"),
        ({SIGNATURE_HEADER: "a.b.c"}, "detached compact JWS"),
        ({SIGNATURE_HEADER: "!!..!!"}, "malformed"),
    ],
)
def test_a_missing_or_malformed_signature_is_refused(headers: dict[str, str], message: str) -> None:
    with pytest.raises(WebhookSignatureError, match=message):
        verify(BODY, headers, jwks(key()), now=NOW)


def test_hmac_and_headers_without_kid_or_iat_are_refused() -> None:
    secret = OctKey.generate_key(256, parameters={"kid": "k1"})
    with pytest.raises(WebhookSignatureError, match="not accepted"):
        verify(BODY, signed(BODY, secret, alg="HS256"), {"keys": [secret.as_dict()]}, now=NOW)
    signer = key()
    no_kid = jws.detach_content(jws.serialize_compact({"alg": "ES256", "iat": 1}, BODY, signer, registry=REGISTRY))
    with pytest.raises(WebhookSignatureError, match="kid"):
        verify(BODY, {SIGNATURE_HEADER: no_kid}, jwks(signer), now=NOW)
    no_iat = jws.detach_content(jws.serialize_compact({"alg": "ES256", "kid": "k1"}, BODY, signer))
    with pytest.raises(WebhookSignatureError, match="iat"):
        verify(BODY, {SIGNATURE_HEADER: no_iat}, jwks(signer), now=NOW)


def test_an_unknown_kid_fetches_the_jwks_once_more() -> None:
    old, new = key("old"), key("new")
    fetched: list[int] = []

    def fetch() -> dict[str, Any]:
        fetched.append(1)
        return jwks(old) if len(fetched) == 1 else jwks(new)  # the provider rotated after the first fetch

    assert verify(BODY, signed(BODY, new), fetch, now=NOW).key_id == "new"
    assert len(fetched) == 2
    with pytest.raises(WebhookSignatureError, match="no key 'gone'"):
        verify(BODY, signed(BODY, key("gone")), fetch, now=NOW)
    with pytest.raises(WebhookSignatureError, match="no key"):
        verify(BODY, signed(BODY, new), jwks(old), now=NOW)  # a fixed JWKS is not fetched again


@pytest.mark.parametrize("offset", [timedelta(seconds=301), timedelta(seconds=-301), timedelta(days=2)])
def test_a_signature_outside_the_tolerance_is_refused(offset: timedelta) -> None:
    signer = key()
    with pytest.raises(WebhookTimestampError):
        verify(BODY, signed(BODY, signer, at=NOW + offset), jwks(signer), now=NOW)
    assert verify(BODY, signed(BODY, signer, at=NOW + offset), jwks(signer), now=NOW, tolerance=3 * 86400)


def test_a_replayed_signature_is_refused_but_a_retry_passes() -> None:
    signer, store = key(), MemoryReplayStore()
    first = signed(BODY, signer)
    verify(BODY, first, jwks(signer), now=NOW, replay_store=store)
    with pytest.raises(WebhookReplayError):
        verify(BODY, first, jwks(signer), now=NOW, replay_store=store)
    retry = signed(BODY, signer, at=NOW + timedelta(minutes=1))  # the same event, signed anew
    assert verify(BODY, retry, jwks(signer), now=NOW, replay_store=store).id == "evt_1"


def test_a_signed_body_that_is_no_envelope_is_refused() -> None:
    signer = key()
    for body in (b"[]", b"{}", b'{"id": 1, "type": "x", "created": "2027-01-01T00:00:00+00:00", "data": {}}'):
        with pytest.raises(WebhookPayloadError):
            verify(body, signed(body, signer), jwks(signer), now=NOW)


def test_every_refusal_is_a_jesign_error_and_no_jose_error_escapes() -> None:
    signer = key()
    for headers, keys in [({SIGNATURE_HEADER: "x..y"}, jwks(signer)), (signed(BODY, signer), {"keys": [{"kty": 1}]})]:
        with pytest.raises(JesignError):
            verify(BODY, headers, keys, now=NOW)


def test_the_receiver_records_deliveries_and_fails_on_demand() -> None:
    with WebhookReceiver() as receiver:
        assert receiver.url.startswith("http://127.0.0.1:")
        receiver.fail_next(1, status=500)
        statuses = [requests.post(receiver.url, data=BODY, timeout=5).status_code for _ in range(2)]
        assert statuses == [500, 200]
        got = receiver.wait_for(2)
        assert [d.answered for d in got] == [500, 200]
        assert got[0].body == BODY
        receiver.fail_always(503)
        assert requests.post(receiver.url, data=b"{}", timeout=5).status_code == 503
        receiver.clear()
        assert receiver.deliveries == []
        with pytest.raises(AssertionError):
            receiver.wait_for(1, timeout=0.1)


@responses.activate
def test_the_fetcher_keeps_the_jwks_and_fetches_again_on_an_unknown_kid() -> None:
    url = "https://provider.example.com/trust/v1/webhooks/jwks.json"
    old, new = key("old"), key("new")
    responses.get(url, json=jwks(old))
    responses.get(url, json=jwks(old, new))
    fetcher = JwksFetcher(url, min_interval=0)
    assert verify(BODY, signed(BODY, old), fetcher, now=NOW).key_id == "old"
    assert verify(BODY, signed(BODY, old), fetcher, now=NOW).key_id == "old"
    assert len(responses.calls) == 1  # kept
    assert verify(BODY, signed(BODY, new), fetcher, now=NOW).key_id == "new"
    assert len(responses.calls) == 2  # the new kid: fetched once more


@responses.activate
def test_the_fetcher_does_not_refetch_for_every_forged_kid_and_reports_a_bad_jwks() -> None:
    url = "https://provider.example.com/jwks.json"
    signer = key("k1")
    responses.get(url, json=jwks(signer))
    fetcher = JwksFetcher(url)  # at most one fetch a 30 seconds
    verify(BODY, signed(BODY, signer), fetcher, now=NOW)
    for forged in ("x1", "x2", "x3"):
        with pytest.raises(WebhookSignatureError, match="no key"):
            verify(BODY, signed(BODY, key(forged)), fetcher, now=NOW)
    assert len(responses.calls) == 1
    broken = "https://provider.example.com/broken.json"
    responses.get(broken, status=500)
    with pytest.raises(WebhookSignatureError, match="cannot fetch"):
        verify(BODY, signed(BODY, signer), JwksFetcher(broken), now=NOW)
    responses.get("https://provider.example.com/list.json", json=[1])
    with pytest.raises(WebhookSignatureError, match="not a JWK Set"):
        verify(BODY, signed(BODY, signer), JwksFetcher("https://provider.example.com/list.json"), now=NOW)
