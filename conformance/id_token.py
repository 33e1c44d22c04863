"""What an id_token must be, claim by claim, as a careful relying party validates it (OpenID Connect Core 1.0).

:func:`judge` decodes the token without trusting it, then lists every defect as a :class:`Finding` that names the
member at fault (``alg``, ``kid``, ``signature``, ``iss``, ``aud``, ``azp``, ``exp``, ``iat``, ``nonce``, ``sub``,
``at_hash``, or ``id_token`` when there is no token to read), the value found, and the clause it breaks. It never
raises: a defect is a verdict for a check to give, never a reason to stop a run.

Times are judged against the SSO's own time when it answered (the ``Date`` header of its token response, else the
suite's clock), with :data:`LEEWAY` seconds either side, so that a deployment whose clock differs from the QA
machine's is not blamed for it.

The caller's job: give the :class:`Expected` values (the discovery document's issuer and algorithms, the JWKS, the
client, the nonce it sent, the access token the same response carried) and decide what each finding means for its
check (:attr:`Finding.required` tells a MUST from a SHOULD).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey

CORE = "OpenID Connect Core 1.0"
#: Seconds of tolerance between the token's times and the SSO's own time.
LEEWAY = 300

CLAUSES = {
    "id_token": f"{CORE} §3.1.3.3 (the token response carries an id_token) and §2 (a signed JWT)",
    "alg": f"{CORE} §3.1.3.7 step 7 and §2: signed with an algorithm the provider announces, never 'none'",
    "kid": f"{CORE} §10.1: the signing key is published in the JWKS, named by its kid",
    "signature": f"{CORE} §3.1.3.7 step 6 and RFC 7515 §5.2: the signature verifies with the provider's key",
    "iss": f"{CORE} §3.1.3.7 step 2: iss exactly matches the discovery document's issuer",
    "aud": f"{CORE} §3.1.3.7 step 3: aud names the client",
    "azp": f"{CORE} §3.1.3.7 steps 4-5: with several audiences, azp is present and is the client",
    "exp": f"{CORE} §3.1.3.7 step 9 and §2: exp is a time in the future, after iat",
    "iat": f"{CORE} §3.1.3.7 step 10 and §2: iat is the time the token was issued",
    "nonce": f"{CORE} §3.1.3.7 step 11 and §2: nonce is exactly the value the client sent",
    "sub": f"{CORE} §2: sub is a non-empty identifier of at most 255 ASCII characters",
    "at_hash": f"{CORE} §3.1.3.8 and §3.2.2.9: at_hash is the left half of the access token's hash",
    "state": "RFC 6749 §4.1.2: state comes back as the exact value the client sent",
}


@dataclass(frozen=True)
class Finding:
    """One defect of what the SSO answered: the member at fault, what is wrong with it, the rule it breaks."""

    claim: str
    message: str
    required: bool = True  #: False for a SHOULD of the specification: a WARNING, not a failure

    @property
    def clause(self) -> str:
        return CLAUSES.get(self.claim, CORE)

    def __str__(self) -> str:
        return f"{self.claim}: {self.message} ({self.clause})"


@dataclass(frozen=True)
class Expected:
    """What the id_token must hold, from the discovery document, the JWKS and the request that asked for it."""

    issuer: str
    client_id: str
    jwks: dict[str, Any]
    algorithms: tuple[str, ...] = ("RS256",)
    nonce: str | None = None
    access_token: str | None = None
    client_secret: str | None = None
    #: The SSO's time (seconds since the epoch) when it issued the token.
    now: float = 0.0


@dataclass(frozen=True)
class Judged:
    """The token as read (unverified) and its defects."""

    header: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()


def judge(id_token: object, expected: Expected) -> Judged:
    """Every defect of ``id_token`` against ``expected``."""
    if not isinstance(id_token, str) or not id_token:
        return Judged(findings=(Finding("id_token", "the token response carries no id_token"),))
    parts = id_token.split(".")
    header = _json_part(parts[0]) if len(parts) == 3 else None
    claims = _json_part(parts[1]) if len(parts) == 3 else None
    if header is None or claims is None:
        message = "the id_token is not a compact JWS whose header and payload are base64url JSON objects"
        return Judged(findings=(Finding("id_token", message),))
    findings = [
        *_signature(id_token, header, parts[2], expected),
        *_issuer_and_audience(claims, expected),
        *_times(claims, expected.now),
        *_nonce(claims, expected.nonce),
        *_subject(claims),
        *_at_hash(claims, header.get("alg"), expected.access_token),
    ]
    return Judged(header, claims, tuple(findings))


def only(findings: Iterable[Finding], *claims: str) -> list[Finding]:
    """The findings about ``claims``."""
    return [f for f in findings if f.claim in claims]


# -- the members --------------------------------------------------------------------------------------------------


def _signature(token: str, header: dict[str, Any], signature: str, expected: Expected) -> list[Finding]:
    alg = header.get("alg")
    if alg == "none" or not signature:
        return [Finding("alg", f"the id_token is not signed (alg {alg!r})")]
    if alg not in expected.algorithms:
        return [Finding("alg", f"alg is {alg!r}, not one the SSO announces ({', '.join(expected.algorithms)})")]
    kid = header.get("kid")
    if str(alg).startswith("HS"):  # §10.1: a MAC made with the client secret
        if not expected.client_secret:
            return [Finding("alg", f"alg {alg} needs a client secret, and the client has none")]
        keys: list[Any] = [OctKey.import_key(expected.client_secret.encode())]
    else:
        try:
            published = KeySet.import_key_set(expected.jwks)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            return [Finding("kid", f"the JWKS cannot be read: {exc}")]
        keys = [k for k in published.keys if kid is None or k.kid == kid]
        if not keys:
            return [Finding("kid", f"no key of the JWKS has the kid {kid!r} of the id_token's header")]
    for key in keys:
        try:
            jws.deserialize_compact(token, key, algorithms=[str(alg)])
        except (JoseError, ValueError, TypeError):
            continue
        return []
    named = f" (kid {kid!r})" if kid else ""
    return [Finding("signature", f"the {alg} signature does not verify with the SSO's published key{named}")]


def _issuer_and_audience(claims: dict[str, Any], expected: Expected) -> list[Finding]:
    found = []
    iss = claims.get("iss")
    if iss != expected.issuer:
        found.append(Finding("iss", f"iss is {iss!r}, not the issuer {expected.issuer!r} of the discovery document"))
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else None
    if audiences is None or expected.client_id not in audiences:
        found.append(Finding("aud", f"aud is {aud!r}, which does not name the client {expected.client_id!r}"))
    azp = claims.get("azp")
    if azp is not None and azp != expected.client_id:
        found.append(Finding("azp", f"azp is {azp!r}, not the client {expected.client_id!r}"))
    elif azp is None and audiences is not None and len(audiences) > 1:
        found.append(Finding("azp", f"aud lists {len(audiences)} audiences and there is no azp", required=False))
    return found


def _times(claims: dict[str, Any], now: float) -> list[Finding]:
    exp, iat = _seconds(claims.get("exp")), _seconds(claims.get("iat"))
    found = []
    if exp is None:
        found.append(Finding("exp", f"exp is {claims.get('exp')!r}, not a number of seconds since the epoch"))
    if iat is None:
        found.append(Finding("iat", f"iat is {claims.get('iat')!r}, not a number of seconds since the epoch"))
    if exp is None or iat is None:
        return found
    if exp <= iat:
        found.append(
            Finding("exp", f"exp ({exp:.0f}) is not after iat ({iat:.0f}): the token expired as it was issued")
        )
    elif exp <= now - LEEWAY:
        found.append(Finding("exp", f"exp is {now - exp:.0f} s before the SSO's own time: the token has expired"))
    if iat > now + LEEWAY:
        found.append(Finding("iat", f"iat is {iat - now:.0f} s after the SSO's own time: issued in the future"))
    elif iat < now - LEEWAY:
        found.append(Finding("iat", f"iat is {now - iat:.0f} s before the SSO's own time: not issued now"))
    return found


def _nonce(claims: dict[str, Any], sent: str | None) -> list[Finding]:
    if sent is None:
        return []
    nonce = claims.get("nonce")
    if nonce is None:
        return [Finding("nonce", "there is no nonce, though the authentication request sent one")]
    if nonce != sent:
        shown = nonce if isinstance(nonce, str) and len(nonce) <= 80 else f"{str(nonce)[:40]}…"
        return [Finding("nonce", f"nonce is {shown!r}, not the {len(sent)} characters sent ({sent[:12]}…)")]
    return []


def _subject(claims: dict[str, Any]) -> list[Finding]:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        return [Finding("sub", f"sub is {sub!r}, not a non-empty string")]
    if len(sub) > 255 or not sub.isascii():
        return [Finding("sub", f"sub has {len(sub)} characters, not at most 255 ASCII ones")]
    return []


_HASHES = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


def _at_hash(claims: dict[str, Any], alg: object, access_token: str | None) -> list[Finding]:
    at_hash = claims.get("at_hash")
    if at_hash is None or not access_token or not isinstance(alg, str) or alg[-3:] not in _HASHES:
        return []  # optional in the code flow; judged only when present and computable
    digest = _HASHES[alg[-3:]](access_token.encode("ascii", "replace")).digest()
    wanted = base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()
    if at_hash != wanted:
        return [Finding("at_hash", f"at_hash is {at_hash!r}, not {wanted!r} (left half of the access token's hash)")]
    return []


# -- reading --------------------------------------------------------------------------------------------------------


def _json_part(segment: str) -> dict[str, Any] | None:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return decoded if isinstance(decoded, dict) else None


def _seconds(value: object) -> float | None:
    """A NumericDate (RFC 7519 §2): a JSON number, not a string or a boolean."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
