"""The id_token judge on its own: a good token has no finding; each defect is named by its claim, value and rule.

Tokens are made here with joserfc (never by the mock), so that the judge is tested against the specification and
not against the mock's own idea of it."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from conformance.id_token import LEEWAY, Expected, judge, only

KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
NOW = 1_800_000_000
ACCESS_TOKEN = "an-access-token-of-forty-three-characters-x"
ISSUER = "https://sso.example/sso"


def _at_hash(token: str, digest: Any = hashlib.sha256) -> str:
    hashed = digest(token.encode()).digest()
    return base64.urlsafe_b64encode(hashed[: len(hashed) // 2]).rstrip(b"=").decode()


def _claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": "client",
        "sub": "usr_1",
        "iat": NOW,
        "exp": NOW + 3600,
        "nonce": "n-0123456789",
        "at_hash": _at_hash(ACCESS_TOKEN),
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _token(claims: dict[str, Any], *, key: Any = KEY, header: dict[str, Any] | None = None) -> str:
    return jwt.encode(
        header or {"alg": "RS256", "kid": "k1"}, claims, key, algorithms=[str((header or {}).get("alg", "RS256"))]
    )


EXPECTED = Expected(
    issuer=ISSUER,
    client_id="client",
    jwks={"keys": [KEY.as_dict(private=False)]},
    algorithms=("RS256",),
    nonce="n-0123456789",
    access_token=ACCESS_TOKEN,
    client_secret="a-client-secret-of-32-characters",
    now=NOW + 2,
)


def _claims_at_fault(token: object, expected: Expected = EXPECTED) -> set[str]:
    return {f.claim for f in judge(token, expected).findings if f.required}


def test_a_good_token_has_no_finding_and_is_read() -> None:
    judged = judge(_token(_claims()), EXPECTED)
    assert judged.findings == ()
    assert judged.claims["sub"] == "usr_1"
    assert judged.header["kid"] == "k1"


def test_a_list_audience_naming_the_client_with_azp_passes() -> None:
    assert _claims_at_fault(_token(_claims(aud=["client", "api"], azp="client"))) == set()


@pytest.mark.parametrize(
    ("claims", "at_fault", "said"),
    [
        ({"iss": ISSUER + "/"}, "iss", "not the issuer"),
        ({"aud": "someone-else"}, "aud", "does not name the client"),
        ({"aud": ["api"]}, "aud", "does not name the client"),
        ({"azp": "someone-else"}, "azp", "not the client"),
        ({"nonce": None}, "nonce", "there is no nonce"),
        ({"nonce": "n-01234"}, "nonce", "not the 12 characters sent"),
        ({"exp": NOW}, "exp", "expired as it was issued"),
        ({"exp": NOW - 7200, "iat": NOW - 10800}, "exp iat", "has expired"),
        ({"exp": "tomorrow"}, "exp", "not a number"),
        ({"iat": True}, "iat", "not a number"),
        ({"iat": NOW + 7200, "exp": NOW + 10800}, "iat", "issued in the future"),
        ({"iat": NOW - LEEWAY - 60}, "iat", "not issued now"),
        ({"sub": ""}, "sub", "not a non-empty string"),
        ({"sub": "é" * 3}, "sub", "ASCII"),
        ({"sub": "x" * 256}, "sub", "256 characters"),
        ({"at_hash": _at_hash(ACCESS_TOKEN + "x")}, "at_hash", "left half"),
    ],
)
def test_each_claim_defect_is_named(claims: dict[str, Any], at_fault: str, said: str) -> None:
    findings = judge(_token(_claims(**claims)), EXPECTED).findings
    assert {f.claim for f in findings} == set(at_fault.split()), findings
    assert said in str(findings[0])
    assert findings[0].clause in str(findings[0])


def test_several_audiences_without_azp_is_a_should() -> None:
    findings = judge(_token(_claims(aud=["client", "api"])), EXPECTED).findings
    assert [(f.claim, f.required) for f in findings] == [("azp", False)]


def test_times_are_judged_on_the_ssos_clock_with_leeway() -> None:
    """iat within LEEWAY of the SSO's time either side; exp not past by more than LEEWAY."""
    token = _token(_claims())
    assert _claims_at_fault(token, _with(now=NOW + LEEWAY)) == set()
    assert _claims_at_fault(token, _with(now=NOW + LEEWAY + 1)) == {"iat"}
    assert _claims_at_fault(token, _with(now=NOW - LEEWAY)) == set()
    assert _claims_at_fault(token, _with(now=NOW - LEEWAY - 1)) == {"iat"}
    assert "exp" not in _claims_at_fault(token, _with(now=NOW + 3600 + LEEWAY - 1))
    assert "exp" in _claims_at_fault(token, _with(now=NOW + 3600 + LEEWAY))


def _with(**changes: Any) -> Expected:
    return Expected(**{**EXPECTED.__dict__, **changes})


def test_signature_defects() -> None:
    claims = _claims()
    assert _claims_at_fault(_token(claims, key=OTHER_KEY)) == {"signature"}
    assert _claims_at_fault(_token(claims, header={"alg": "RS256", "kid": "k2"})) == {"kid"}
    assert _claims_at_fault(_token(claims, header={"alg": "RS256"})) == set()  # no kid: every key of the set is tried
    unsigned = ".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode() for part in ({"alg": "none"}, claims)
    )
    assert _claims_at_fault(unsigned + ".") == {"alg"}
    hs256 = _token(claims, key=OctKey.import_key(EXPECTED.client_secret.encode()), header={"alg": "HS256"})
    assert _claims_at_fault(hs256) == {"alg"}  # not announced
    assert _claims_at_fault(hs256, _with(algorithms=("RS256", "HS256"))) == set()
    assert _claims_at_fault(hs256, _with(algorithms=("HS256",), client_secret="another-secret-of-32-characters!")) == {
        "signature"
    }


def test_a_missing_or_unreadable_token() -> None:
    assert _claims_at_fault(None) == {"id_token"}
    assert _claims_at_fault("") == {"id_token"}
    assert _claims_at_fault("a.b") == {"id_token"}
    assert _claims_at_fault("bm90IGpzb24.e30.c2ln") == {"id_token"}


def test_at_hash_follows_the_algorithm_and_is_optional() -> None:
    assert _claims_at_fault(_token(_claims(at_hash=None))) == set()
    wrong_length = _at_hash(ACCESS_TOKEN, hashlib.sha512)
    assert only(judge(_token(_claims(at_hash=wrong_length)), EXPECTED).findings, "at_hash")
