"""``Idempotency-Key``: a retried POST or DELETE answers its first answer and never repeats a side effect.

As Stripe does. A POST or DELETE under ``/platform/api/v1``, ``/trust/v1`` or ``/trust/csc`` may carry
``Idempotency-Key`` (1 to 255 printable ASCII characters, else ``400 invalid_idempotency_key``). The key is
scoped by the caller's credentials (the SHA-256 of the ``Authorization`` header; the header itself is never stored):

- the first request with a key runs, and its answer (status, ``Content-Type``, body) is kept for 24 hours on the
  mock clock, together with the method, the path (with the query) and the SHA-256 of the raw body;
- a later request with the same key, method, path and body gets that answer again, with ``Idempotent-Replayed:
  true``, and changes nothing;
- the same key with another method, path or body is ``422 idempotency_key_reused`` (nothing changes);
- while the first request is still being answered, the same key is ``409 idempotency_request_in_progress`` with
  ``Retry-After: 1``. That hold is a lease of ``idempotency_lease_seconds`` on the wall clock (the mock clock may
  stand still or jump): a request that never finishes, because its process was killed, frees its key when the
  lease ends, and the next retry runs the call. Keep the lease longer than the server's request timeout.

The key is honoured only once the caller is known: routing and authentication come first. A call to no route, with
a method the route does not take, or without valid credentials, is answered 404, 405 or 401 as if it carried no
key, and nothing is kept (an anonymous call has no scope to keep it in). Every authentication helper
(:func:`~mock_provider.api.common.bearer_user` for the platform and the CSC API, the trust provider's operator and
applicant checks) ends with :func:`~mock_provider.api.common.caller_authenticated`, which calls :func:`honour_key`
before the view reads its body or changes anything.

Answers a retry should not replay are not kept, so that the retry runs again: 5xx (nothing was committed: an
injected failure before processing, an internal error), 408 and 429. A fault injected *after* processing (see
``faults``) replaces the answer the caller sees, but the real answer was kept first: the retry gets it. Refusals
(other 4xx, malformed bodies included) are kept, so a retry of a refused call is refused the same way.

:func:`install` registers the hooks that keep or release a claimed key. Call it after the control plane's
(``hooks.install``), so that its ``after_request`` runs before the fault hook replaces an answer.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from flask import Flask, Response, abort, current_app, g, request
from sqlalchemy import ColumnElement, CursorResult, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mock_provider.api.common import write_after_response
from mock_provider.core.errors import Conflict, InvalidInput, MockError
from mock_provider.core.models import IdempotencyRecord
from mock_provider.core.storage import Prepared
from mock_provider.http_common.services import services

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
PREFIXES = ("/platform/api/v1", "/trust/v1", "/trust/csc")
METHODS = frozenset({"POST", "DELETE"})
MAX_KEY_LENGTH = 255
RETENTION = timedelta(hours=24)
#: Answers not kept: the retry runs the call again.
RETRYABLE_STATUSES = frozenset({408, 429})


class KeyReused(MockError):
    code = "idempotency_key_reused"
    status = 422
    title = "Idempotency key reused"


@dataclass(frozen=True)
class _Claim:
    """The record this request holds (by its ``owner`` token) and must complete or release."""

    scope: str
    key: str
    owner: str


#: The claim of a key: its record, in progress, held by this request's owner token (see :func:`_claim_or_replay`).
CLAIM = Prepared(
    insert(IdempotencyRecord).values(
        {
            **{
                name: bindparam(name)
                for name in ("scope", "key", "method", "path", "fingerprint", "created_at", "owner", "lease_expires_at")
            },
            "in_progress": True,
        }
    )
)


def applies(method: str, path: str) -> bool:
    """Whether a request with that method and path honours ``Idempotency-Key``."""
    return method in METHODS and any(path == p or path.startswith(p + "/") for p in PREFIXES)


def valid_key(key: str) -> bool:
    return 1 <= len(key) <= MAX_KEY_LENGTH and all(" " <= c <= "~" for c in key)


def scope_of(authorization: str | None) -> str:
    """The key's scope: the SHA-256 of the ``Authorization`` header value (empty when absent)."""
    return hashlib.sha256((authorization or "").encode("utf-8", "surrogateescape")).hexdigest()


def honour_key() -> None:
    """Claim the request's ``Idempotency-Key``, or answer its first answer again, or refuse it.

    Called by the authentication helpers once the caller is authenticated (never for an anonymous call), before
    the view reads its body. Does nothing for a request without a key, outside the prefixes, other than POST or
    DELETE, or a second time in one request. A replay ends the request here (``abort`` with the kept answer).
    """
    if g.get("idempotency_honoured"):
        return
    g.idempotency_honoured = True
    if not applies(request.method, request.path) or HEADER not in request.headers:
        return
    key = request.headers.get(HEADER, "")
    if not valid_key(key):
        raise InvalidInput(
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
            code="invalid_idempotency_key",
            errors=[{"field": HEADER, "code": "invalid", "detail": "1 to 255 printable ASCII characters"}],
        )
    # The raw bytes, cached so that Flask still parses the JSON or the multipart form from them afterwards.
    fingerprint = body_fingerprint()
    replay = _claim_or_replay(scope_of(request.headers.get("Authorization")), key, fingerprint)
    if replay is not None:
        abort(replay)


def install(app: Flask) -> None:
    @app.after_request
    def _idempotency_after(response: Response) -> Response:
        claim: _Claim | None = g.get("idempotency_claim")
        if claim is not None:
            _complete(claim, response)
        return response

    @app.teardown_request
    def _idempotency_teardown(_exc: BaseException | None) -> None:
        # Reached with a claim only when no answer was completed (the after_request hooks did not run).
        claim: _Claim | None = g.pop("idempotency_claim", None)
        if claim is not None:
            _release(claim)


def body_fingerprint() -> str:
    """SHA-256 of what the request says, not of how it is encoded.

    A multipart body is fingerprinted by its fields and files (names, values, file names and contents): each
    retry of an upload gets a new random boundary from its HTTP library, and must still count as the same
    request. Any other body is taken byte for byte.
    """
    if request.mimetype != "multipart/form-data":
        return hashlib.sha256(request.get_data(cache=True)).hexdigest()
    digest = hashlib.sha256(b"multipart")
    for name, value in sorted(request.form.items(multi=True)):
        digest.update(f"\x00form\x00{name}\x00{value}".encode())
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
        content = upload.read()
        upload.seek(0)
        digest.update(f"\x00file\x00{name}\x00{upload.filename}\x00".encode() + hashlib.sha256(content).digest())
    return digest.hexdigest()


def _lease() -> timedelta:
    return timedelta(seconds=services().config.idempotency_lease_seconds)


def _claim_or_replay(scope: str, key: str, fingerprint: str) -> Response | None:
    svc = services()
    method, path = request.method, request.full_path.rstrip("?")[:2000]
    owner = secrets.token_hex(16)
    for _ in range(3):
        now = svc.clock.now()
        # The lease runs on the wall clock: after a crash it must end in real time, whatever the mock clock does.
        wall = datetime.now(UTC)
        claim = {
            "scope": scope,
            "key": key,
            "method": method,
            "path": path,
            "fingerprint": fingerprint,
            "created_at": now,
            "owner": owner,
            "lease_expires_at": wall + _lease(),
        }
        try:
            if _purge_due(now):
                with svc.db.transaction() as session:
                    # Expired records go, now and then, so that the table stays small (an expired record of this
                    # very key is removed below, when it is in the way).
                    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at <= now - RETENTION))
                    session.execute(CLAIM.statement, claim)
            else:
                svc.db.run_prepared(CLAIM, claim)  # one insert: no ORM session on every keyed call
        except IntegrityError:
            pass  # the key is taken: replay, refuse, take over or wait, below
        else:
            g.idempotency_claim = _Claim(scope, key, owner)
            return None
        with svc.db.transaction() as session:
            found = session.scalars(
                select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
            ).first()
            if found is None:
                continue  # released meanwhile: try to claim it again
            if found.created_at <= now - RETENTION:
                # Expired: the key may be used again. A statement, not an ORM delete, so that a concurrent retry
                # that removed it first is no error.
                session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == found.id))
                continue
            if (found.method, found.path, found.fingerprint) != (method, path, fingerprint):
                raise KeyReused(
                    f"this {HEADER} was first used for another request ({found.method} {found.path}, other body?);"
                    " use a new key for a new request"
                )
            if found.in_progress:
                if wall < found.lease_expires_at:
                    break  # still being answered
                # The request holding the key never finished (its process died): this one takes it over. A
                # conditional update on the holder seen, so that of several retries racing, one only wins.
                taken = session.execute(
                    update(IdempotencyRecord)
                    .where(*_held(_Claim(scope, key, found.owner)))
                    .values(owner=owner, lease_expires_at=wall + _lease(), created_at=now)
                )
                if cast(CursorResult[Any], taken).rowcount == 1:
                    g.idempotency_claim = _Claim(scope, key, owner)
                    return None
                break  # another retry took it over first: it is being answered
            assert found.status is not None  # kept with its answer
            replay = Response(found.body or b"", status=found.status)
            if found.content_type:
                replay.headers["Content-Type"] = found.content_type
            else:
                del replay.headers["Content-Type"]
            replay.headers[REPLAYED_HEADER] = "true"
            return replay
    raise Conflict(
        f"a request with this {HEADER} is still being answered; retry later",
        code="idempotency_request_in_progress",
        headers={"Retry-After": "1"},
    )


#: When this process last purged expired records (mock clock), per app.
_PURGED_AT = "jesign_idempotency_purged_at"
PURGE_EVERY = timedelta(minutes=1)


def _purge_due(now: datetime) -> bool:
    last: datetime | None = current_app.extensions.get(_PURGED_AT)
    if last is not None and last <= now < last + PURGE_EVERY:
        return False
    current_app.extensions[_PURGED_AT] = now
    return True


def _held(claim: _Claim) -> tuple[ColumnElement[bool], ...]:
    """The conditions that select the record while this request still holds it (not taken over)."""
    return (
        IdempotencyRecord.scope == claim.scope,
        IdempotencyRecord.key == claim.key,
        IdempotencyRecord.owner == claim.owner,
        IdempotencyRecord.in_progress.is_(True),
    )


def _complete(claim: _Claim, response: Response) -> None:
    """Keep the answer for the key's retries, or release the key when a retry should run the call again.

    The answer is written with the request's other bookkeeping, in the transaction that ends the request; the
    claim is dropped once that is committed (until then, the teardown hook would release it). A request that
    outlived its lease and was taken over keeps nothing: the answer of the request that took over is kept.
    """
    status = response.status_code
    if status >= 500 or status in RETRYABLE_STATUSES or response.is_streamed:
        _release(claim)
        g.pop("idempotency_claim", None)
        return
    kept = (
        update(IdempotencyRecord)
        .where(*_held(claim))
        .values(
            status=status,
            content_type=response.headers.get("Content-Type"),
            body=response.get_data(),
            in_progress=False,
        )
    )

    def keep(session: Session) -> None:
        session.execute(kept)

    write_after_response(keep, then=lambda: g.pop("idempotency_claim", None))


def _release(claim: _Claim) -> None:
    with services().db.transaction() as session:
        session.execute(delete(IdempotencyRecord).where(*_held(claim)))
