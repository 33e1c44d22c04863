"""The SSO's other endpoints on Authlib: userinfo (OpenID Connect Core section 5.3, a resource protected by the
Bearer access token, RFC 6750) and RP-initiated logout (which revokes the person's tokens at that client)."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import (
    InvalidRequestError,
    MissingAuthorizationError,
    OAuth2Request,
    TokenMixin,
    UnsupportedTokenTypeError,
)
from authlib.oauth2.rfc6750 import BearerTokenValidator, InvalidTokenError
from authlib.oauth2.rfc6750.errors import InsufficientScopeError
from authlib.oidc.core import UserInfoEndpoint
from authlib.oidc.rpinitiated import EndSessionEndpoint, EndSessionRequest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from mock_provider.core import sso_tokens as tokens
from mock_provider.core.misbehaviour.areas.sso import (
    LOGOUT_ENDS_EVERYONE,
    LOGOUT_HINT_UNVERIFIED,
    LOGOUT_REDIRECTS_ANYWHERE,
)
from mock_provider.core.sso_models import SsoToken
from mock_provider.http_common.oauth2_clients import Client
from mock_provider.http_common.sso_session import forget_login, session_user_id
from mock_provider.sso.keys import SIGNING_ALGORITHM

if TYPE_CHECKING:
    from mock_provider.sso.server import SsoProvider

REALM = "jesign-sso"


class _AccessToken(TokenMixin):  # type: ignore[misc]
    def __init__(self, row: SsoToken, provider: SsoProvider) -> None:
        self.row = row
        self.scope = row.scope
        self._provider = provider

    def get_scope(self) -> str:
        return self.row.scope

    def get_client(self) -> Client | None:
        return self._provider.query_client(self.row.client_id)

    def get_user(self) -> str:
        return self.row.user_id

    def is_expired(self) -> bool:
        return False  # checked, on the mock clock, when the token was looked up

    def is_revoked(self) -> bool:
        return False


class AccessTokenValidator(BearerTokenValidator):  # type: ignore[misc]
    def __init__(self, provider: SsoProvider) -> None:
        super().__init__(realm=REALM)
        self.provider = provider

    def authenticate_token(self, token_string: str) -> _AccessToken:
        try:
            with self.provider.services.db.transaction() as session:
                row = tokens.active_access_token(session, token_string, self.provider.now())
        except tokens.Unauthenticated as exc:
            raise InvalidTokenError(description=exc.detail, realm=self.realm) from exc
        return _AccessToken(row, self.provider)

    def validate_token(self, token: _AccessToken, scopes: list[str] | None, request: Any) -> None:
        if self.scope_insufficient(token.get_scope(), scopes):
            raise InsufficientScopeError()


class _NoCredentials(OAuth2Error):  # type: ignore[misc]
    """RFC 6750 section 3.1: a request that lacks any authentication information gets the bare challenge, without
    an error code or other error information."""

    status_code = 401

    def get_body(self) -> list[tuple[str, str]]:
        return []

    def get_headers(self) -> list[tuple[str, str]]:
        return [*super().get_headers(), ("WWW-Authenticate", f'Bearer realm="{REALM}"')]


class BearerProtector(ResourceProtector):  # type: ignore[misc]
    """Authlib's protector. No ``Authorization`` header, or another scheme than Bearer: the bare challenge
    (:class:`_NoCredentials`); ``Bearer`` without a token: ``invalid_token``."""

    def parse_request_authorization(self, request: Any) -> Any:
        try:
            return super().parse_request_authorization(request)
        except (MissingAuthorizationError, UnsupportedTokenTypeError) as exc:
            scheme = (request.headers.get("Authorization") or "").split(None, 1)
            if not scheme or scheme[0].lower() != "bearer":
                raise _NoCredentials() from exc
            raise InvalidTokenError(
                description="Send the access token in an 'Authorization: Bearer' header.", realm=REALM
            ) from exc


class UserInfo(UserInfoEndpoint):  # type: ignore[misc]
    def __init__(self, provider: SsoProvider, protector: BearerProtector) -> None:
        super().__init__(resource_protector=protector)
        self.provider = provider

    def generate_user_info(self, user: str, scope: str) -> dict[str, Any]:
        return self.provider.scoped_claims(user, scope)

    def get_issuer(self) -> str:
        return self.provider.issuer


class _IdTokenHintClaims(jwt.JWTClaimsRegistry):
    """An ID token of ours, expired or not (RP-initiated logout section 2), judged on the mock clock."""

    def validate_exp(self, value: object) -> None:
        pass


class EndSession(EndSessionEndpoint):  # type: ignore[misc]
    """RP-initiated logout: the post-logout URI must be one of the client's redirect URIs."""

    def __init__(self, provider: SsoProvider) -> None:
        super().__init__()
        self.provider = provider

    def validate_request(self, request: OAuth2Request) -> EndSessionRequest:
        validated = super().validate_request(request)
        # Authlib silently skips an unregistered URI; with an ID token to name the client, say so instead.
        asked = request.payload.data.get("post_logout_redirect_uri")
        if asked and validated.redirect_uri is None and validated.id_token_claims is not None:
            raise InvalidRequestError("The 'post_logout_redirect_uri' is not registered for this client.")
        return validated

    def get_server_jwks(self) -> KeySet:
        return self.provider.signing_key.public_key_set()

    def get_algorithms(self) -> list[str]:
        return [SIGNING_ALGORITHM]

    def _validate_id_token_hint(self, id_token_hint: str) -> dict[str, Any]:
        # Authlib's version judges iat on the wall clock and leaves iss unchecked; the mock's clock may run ahead.
        registry = _IdTokenHintClaims(
            now=lambda: int(self.provider.now().timestamp()),
            iss={"essential": True, "value": self.provider.issuer},
            sub={"essential": True},
        )
        try:
            if LOGOUT_HINT_UNVERIFIED in self.provider.services.breakages:
                _, payload, _ = id_token_hint.split(".")
                padded = payload + "=" * (-len(payload) % 4)
                token = jwt.Token({}, json.loads(base64.urlsafe_b64decode(padded)))
            else:
                token = jwt.decode(id_token_hint, self.get_server_jwks(), algorithms=self.get_algorithms())
            registry.validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise InvalidRequestError("The 'id_token_hint' is not a valid ID token of this provider.") from exc
        return dict(token.claims)

    def _is_valid_post_logout_redirect_uri(self, client: Client, post_logout_redirect_uri: str) -> bool:
        if LOGOUT_REDIRECTS_ANYWHERE in self.provider.services.breakages:
            return True
        return client.check_redirect_uri(post_logout_redirect_uri)

    def end_session(self, end_session_request: EndSessionRequest) -> None:
        claims = end_session_request.id_token_claims
        client: Client | None = end_session_request.client
        person = claims["sub"] if claims else session_user_id()
        if person and client is not None:
            with self.provider.services.db.transaction() as session:
                everyone = LOGOUT_ENDS_EVERYONE in self.provider.services.breakages
                tokens.revoke_user_tokens(session, None if everyone else person, client.client_id, self.provider.now())
        forget_login()
