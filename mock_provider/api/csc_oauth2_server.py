"""The trust provider's own OAuth2 authorization server (CSC ``oauth2code``), on Authlib.

Authlib does the protocol: RFC 6749's code and refresh grants, RFC 7636's PKCE, RFC 7009's revocation, client
authentication and the error answers. This module supplies what CSC adds and the mock's rules:

- clients are the SSO's (``oauth_clients``: the trust provider trusts the platform's SSO, its clients included),
  their ``redirect_uri`` matched exactly (a loopback IP literal on any port, RFC 8252 section 7.3); a confidential
  client authenticates with ``client_secret_basic`` or, as CSC 1.0.4 section 8.3.3 shows it, ``client_secret_post``;
  a public one with ``none`` and its PKCE verifier;
- ``scope`` is ``service`` or ``credential``, one of them (CSC 2.0 section 8.3.2: never together);
- PKCE with ``S256`` for every request (``plain`` and a missing challenge refused): CSC 2.0 section 8.3.2 makes
  ``code_challenge`` REQUIRED, the mock also refuses ``plain``;
- a code lives :data:`~mock_provider.core.csc_oauth2.CODE_LIFETIME` and is redeemed once, also under parallel
  requests (a conditional update in the transaction that stores the tokens);
- ``scope=service`` gives an access token (1 hour) and a refresh token (single use, rotated); ``scope=credential``
  an access token only, which *is* the SAD of the authorization (:func:`~mock_provider.core.csc_oauth2.sad_of`),
  stored in the same transaction that redeems the code.

Each rule has its rule-breakage switch, declared here next to the code that honours it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authlib.common.urls import add_params_to_uri
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    AccessDeniedError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Request,
    TokenMixin,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_plain_code_challenge, compare_s256_code_challenge
from flask import request as flask_request

from mock_provider.core import csc_oauth2 as store
from mock_provider.core.misbehaviour.areas.signing import (
    CODE_RACE,
    CODE_REUSABLE,
    PKCE_OPTIONAL,
    PKCE_PLAIN,
    REDIRECT_URI_PREFIX,
    TOKEN_REDIRECT_URI_UNCHECKED,
    VERIFIER_UNCHECKED,
)
from mock_provider.core.models import CscAccessToken, CscAuthorizationCode, OAuthClient
from mock_provider.core.signing import SAD_LIFETIME, PendingAuthorization
from mock_provider.http_common.oauth2_clients import Client, EndUser, MockOAuth2Request

if TYPE_CHECKING:
    from mock_provider.core.services import MockServices


@dataclass(frozen=True)
class _Code:
    """A stored code as Authlib's grant reads it."""

    row: CscAuthorizationCode
    redirect_uri: str | None

    @property
    def code_challenge(self) -> str | None:
        return self.row.code_challenge or None

    @property
    def code_challenge_method(self) -> str | None:
        return self.row.code_challenge_method or None

    def get_redirect_uri(self) -> str | None:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class CscClient(Client):
    """An SSO client as the CSC authorization server sees it: its scopes are CSC's."""

    def get_allowed_scope(self, scope: str | None) -> str:
        return scope if scope in store.SCOPES else ""

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint != "token" and endpoint != "revocation":
            return True
        if self.client_secret is None:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")


AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


class S256Required(CodeChallenge):  # type: ignore[misc]
    """PKCE S256 for every client and every request."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": compare_s256_code_challenge, "plain": compare_plain_code_challenge}

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        breakages = grant.server.services.breakages
        if not data.get("code_challenge"):
            if PKCE_OPTIONAL in breakages:
                return
            raise InvalidRequestError("PKCE is required: send 'code_challenge' with 'code_challenge_method=S256'.")
        if PKCE_PLAIN in breakages and data.get("code_challenge_method") == "plain":
            return  # a code whose challenge is compared as plain (Authlib's comparison, kept for this switch)
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256 ('plain' is refused).")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if VERIFIER_UNCHECKED in grant.server.services.breakages:
            return
        if not grant.request.authorization_code.code_challenge:
            return  # a code without a challenge exists only while the switch csc_oauth2_pkce_optional is on
        super().validate_code_verifier(grant, result)


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    @property
    def services(self) -> MockServices:
        services: MockServices = self.server.services
        return services

    def validate_authorization_redirect_uri(self, request: OAuth2Request, client: CscClient) -> str:
        redirect_uri: str | None = request.payload.redirect_uri
        if not redirect_uri:
            raise InvalidRequestError("Missing 'redirect_uri'.")
        if REDIRECT_URI_PREFIX in self.services.breakages and redirect_uri.startswith(client.redirect_uris):
            return redirect_uri
        if not client.check_redirect_uri(redirect_uri):
            raise InvalidRequestError("The 'redirect_uri' is not registered for this client.")  # never redirected to
        return redirect_uri

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        if self.request.payload.scope not in store.SCOPES:
            raise InvalidScopeError("'scope' is 'service' or 'credential'.", redirect_uri=redirect_uri)
        return redirect_uri

    def create_authorization_response(self, redirect_uri: str, grant_user: EndUser | None) -> tuple[int, str, Any]:
        if not grant_user:
            raise AccessDeniedError(redirect_uri=redirect_uri)
        self.request.user = grant_user
        code = self.generate_authorization_code()
        self.save_authorization_code(code, self.request)
        state: str | None = self.request.payload.state
        params = [("code", code), *([("state", state)] if state else [])]
        return 302, "", [("Location", add_params_to_uri(redirect_uri, params))]

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        pending: PendingAuthorization | None = getattr(self, "pending", None)
        data = request.payload.data
        with self.services.db.transaction() as session:
            store.save_code(
                session,
                code,
                now=self.services.clock.now(),
                lifetime=store.CODE_LIFETIME,
                client_id=request.client.client_id,
                user_id=request.user.id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.payload.scope,
                code_challenge=data.get("code_challenge") or "",
                code_challenge_method=data.get("code_challenge_method") or "",
                credential_id=pending.credential_id if pending else None,
                num_signatures=pending.num_signatures if pending else None,
                hash_algorithm=pending.hash_algorithm if pending else None,
                hashes=_json_list(pending.hashes) if pending and pending.hashes is not None else None,
            )

    def query_authorization_code(self, code: str, client: CscClient) -> _Code | None:
        with self.services.db.transaction() as session:
            row = store.find_code(session, code, client.client_id, self.services.clock.now())
        if row is None:
            return None
        unchecked = TOKEN_REDIRECT_URI_UNCHECKED in self.services.breakages
        return _Code(row, None if unchecked else row.redirect_uri)

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        """Nothing left to do: the server's ``save_token`` consumed the code with the tokens' insertion."""

    def authenticate_user(self, authorization_code: _Code) -> EndUser:
        return EndUser(authorization_code.row.user_id, authorization_code.row.created_at)

    def generate_token(self, user: Any = None, scope: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """A service token with its refresh token; a credential token alone, for as long as its SAD lives."""
        if scope == store.CREDENTIAL:
            kwargs.update(include_refresh_token=False, expires_in=int(SAD_LIFETIME.total_seconds()))
        token: dict[str, Any] = super().generate_token(user=user, scope=scope, **kwargs)
        return token


class _Refresh(TokenMixin):  # type: ignore[misc]
    def __init__(self, row: CscAccessToken) -> None:
        self.row = row

    def check_client(self, client: CscClient) -> bool:
        return self.row.client_id == client.client_id

    def get_scope(self) -> str:
        return self.row.scope


class RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> _Refresh | None:
        services: MockServices = self.server.services
        with services.db.transaction() as session:
            row = store.find_refresh_token(session, refresh_token, services.clock.now())
        return _Refresh(row) if row is not None else None

    def authenticate_user(self, refresh_token: _Refresh) -> EndUser:
        return EndUser(refresh_token.row.user_id, refresh_token.row.issued_at)

    def revoke_old_credential(self, refresh_token: _Refresh) -> None:
        """Nothing left to do: ``save_token`` marked it used with the new tokens' insertion."""


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    """``oauth2/revoke`` (RFC 7009): a client revokes its own tokens; any other token is answered 200, unchanged."""

    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Refresh | None:
        services: MockServices = self.server.services
        with services.db.transaction() as session:
            row = store.find_token(session, token_string)
        return _Refresh(row) if row is not None else None

    def revoke_token(self, token: _Refresh, request: OAuth2Request) -> None:
        services: MockServices = self.server.services
        with services.db.transaction() as session:
            store.revoke(session, token.row.id, services.clock.now())


class CscAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """The authorization server of one app (``app.extensions``)."""

    def __init__(self, services: MockServices) -> None:
        super().__init__(query_client=self.query_client, save_token=self.save_token)
        self.services = services
        self.scopes_supported = list(store.SCOPES)
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **_: secrets.token_urlsafe(32),
                refresh_token_generator=lambda **_: secrets.token_urlsafe(48),
                expires_generator=int(store.SERVICE_TOKEN_LIFETIME.total_seconds()),
            ),
        )
        self.register_grant(CodeGrant, [S256Required(required=True)])
        self.register_grant(RefreshGrant)
        self.register_endpoint(Revocation)

    def query_client(self, client_id: str) -> CscClient | None:
        if "\x00" in client_id:
            return None
        with self.services.db.transaction() as session:
            row = session.get(OAuthClient, client_id)
            return CscClient(row) if row is not None else None

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return MockOAuth2Request(flask_request)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Store the tokens in the transaction that consumes the code (and, for a credential, stores its SAD) or the
        refresh token."""
        now = self.services.clock.now()
        code: _Code | None = request.authorization_code
        old: _Refresh | None = request.refresh_token
        breakages = self.services.breakages
        with self.services.db.transaction(lock=CODE_RACE not in breakages) as session:
            if code is not None:
                row = code.row
                consumed = (
                    CODE_REUSABLE in breakages or CODE_RACE in breakages or store.redeem_code(session, row.id, now)
                )
                code_id, scope, credential_id = row.id, row.scope, row.credential_id
            else:
                assert old is not None
                consumed = store.use_refresh_token(session, old.row.id, now)
                code_id, scope, credential_id = old.row.code_id, old.row.scope, None
            if consumed:
                if scope == store.CREDENTIAL and code is not None:
                    self.services.signing.activate(session, _pending(code.row), store.sad_of(token["access_token"]))
                store.save_token(
                    session,
                    code_id=code_id,
                    client_id=request.client.client_id,
                    user_id=request.user.id,
                    scope=scope,
                    credential_id=credential_id,
                    access_token=token["access_token"],
                    refresh_token=token.get("refresh_token"),
                    now=now,
                    lifetime=SAD_LIFETIME if scope == store.CREDENTIAL else store.SERVICE_TOKEN_LIFETIME,
                )
        if not consumed:  # a concurrent request used it first: that is a replay
            with self.services.db.transaction() as session:
                store.revoke_code_tokens(session, code_id, now)
            raise InvalidGrantError("The code or refresh token was already used; its tokens are revoked.")


def _pending(row: CscAuthorizationCode) -> PendingAuthorization:
    assert row.credential_id is not None
    assert row.num_signatures is not None
    return PendingAuthorization(
        user_id=row.user_id,
        credential_id=row.credential_id,
        scal=2 if row.hashes is not None else 1,
        num_signatures=row.num_signatures,
        hash_algorithm=row.hash_algorithm,
        hashes=tuple(json.loads(row.hashes)) if row.hashes is not None else None,
        registration_id=None,
    )


def _json_list(values: tuple[str, ...]) -> str:
    return json.dumps(list(values))
