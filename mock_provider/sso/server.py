"""Authlib's OpenID Connect provider, wired to the mock's directory, storage, clock and keys.

Authlib does the protocol (RFC 6749 code and refresh grants, RFC 7636 PKCE, OpenID Connect's ID token, userinfo
and RP-initiated logout); this module supplies what it leaves to the server: clients from ``oauth_clients``,
codes and tokens through :mod:`mock_provider.core.sso_tokens`, the signing key, the clock. Its rules, stricter than
Authlib's defaults and advertised as such by the discovery document:

- response type ``code`` only; ``redirect_uri`` required and matched exactly, except that a loopback IP literal
  (``http://127.0.0.1/...``, ``http://[::1]/...``) matches on any port (RFC 8252 section 7.3);
- PKCE with ``S256`` for every client, confidential or public (``plain`` and a missing challenge are refused);
- at the token endpoint, a confidential client authenticates with ``client_secret_basic`` only, a public client
  with ``none`` (its ``client_id`` in the body) and its PKCE verifier;
- tokens are issued in the same transaction that consumes the code or rotates the refresh token.

The parts, each in its module: the code and refresh grants with PKCE (:mod:`~mock_provider.sso.grants`), the ID
token (:mod:`~mock_provider.sso.id_token`), userinfo and logout (:mod:`~mock_provider.sso.endpoints`); and, shared
with the trust provider's CSC OAuth2 server, the clients and their authentication
(:mod:`~mock_provider.http_common.oauth2_clients`) and the browser session
(:mod:`~mock_provider.http_common.sso_session`).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    InvalidGrantError,
    OAuth2Request,
    UnsupportedGrantTypeError,
    UnsupportedResponseTypeError,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator, InvalidTokenError
from flask import request as flask_request
from sqlalchemy import select

from mock_provider.core import sso_tokens as tokens
from mock_provider.core.accounts import firms_of, user_claims
from mock_provider.core.misbehaviour.areas.sso import (
    ACCESS_TOKEN_LIFETIME_MISANNOUNCED,
    ACCESS_TOKEN_NEVER_EXPIRES,
    CLIENT_AUTH_ANY_SCHEME,
    CLIENT_SECRET_OPTIONAL,
    CODE_REDEMPTION_RACE,
    CODE_REUSABLE,
    DISCOVERY_OVERSTATES,
    FIRMS_CLAIM_OMITTED,
    REFRESH_RACE,
    REFRESH_TOKEN_NEVER_EXPIRES,
    REFRESH_TOKEN_REUSABLE,
    RESPONSE_TYPE_ERROR_NOT_REDIRECTED,
)
from mock_provider.core.models import OAuthClient, User
from mock_provider.http_common.oauth2_clients import (
    GRANT_TYPES,
    SCOPES_SUPPORTED,
    TOKEN_ENDPOINT_AUTH_METHODS,
    Client,
    EndUser,
    MockOAuth2Request,
    authenticate_client_secret_basic,
)
from mock_provider.sso.endpoints import AccessTokenValidator, BearerProtector, EndSession, UserInfo
from mock_provider.sso.grants import (
    NEVER,
    AuthorizationCode,
    CodeGrant,
    RefreshGrant,
    RefreshToken,
    S256Only,
)
from mock_provider.sso.id_token import IdTokens
from mock_provider.sso.keys import SIGNING_ALGORITHM, SigningKey

if TYPE_CHECKING:
    from mock_provider.core.services import MockServices

#: Authlib logs each token it issues, and each request it validates, at DEBUG: an SSO logging at DEBUG would write
#: bearer tokens, refresh tokens and codes to its log. Its loggers stay at INFO, whatever the root logger's level.
logging.getLogger("authlib").setLevel(logging.INFO)

#: Which claims each scope releases, in the ID token and at userinfo (``offline_access`` releases none).
SCOPE_CLAIMS: Mapping[str, tuple[str, ...]] = {
    "openid": ("sub",),
    "profile": ("given_name", "family_name", "name", "identity_source", "firms"),
    "email": ("email",),
    "phone": ("phone_number",),
}
CLAIMS_SUPPORTED = [
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    *dict.fromkeys(claim for claims in SCOPE_CLAIMS.values() for claim in claims),
]


class SsoProvider:
    """The SSO of one app: Authlib's server, the signing key, the discovery document, the directory look-ups."""

    def __init__(self, services: MockServices) -> None:
        self.services = services
        self.issuer = services.config.base_url + "/sso"
        self.signing_key = SigningKey(services)
        self.server = _Server(self)

    def metadata(self) -> dict[str, Any]:
        """The discovery document: only what the server enforces."""
        issuer = self.issuer
        document = {
            "issuer": issuer,
            "authorization_endpoint": issuer + "/authorize",
            "token_endpoint": issuer + "/token",
            "userinfo_endpoint": issuer + "/userinfo",
            "jwks_uri": issuer + "/jwks",
            "end_session_endpoint": issuer + "/logout",
            "scopes_supported": list(SCOPES_SUPPORTED),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": list(GRANT_TYPES),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [SIGNING_ALGORITHM],
            "token_endpoint_auth_methods_supported": list(TOKEN_ENDPOINT_AUTH_METHODS),
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": list(CLAIMS_SUPPORTED),
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "ui_locales_supported": ["fr-FR"],
        }
        if DISCOVERY_OVERSTATES in self.services.breakages:
            document.update(
                claims_parameter_supported=True, request_parameter_supported=True, request_uri_parameter_supported=True
            )
        return document

    def now(self) -> datetime:
        return self.services.clock.now()

    def query_client(self, client_id: str) -> Client | None:
        if not tokens.storable(client_id):
            return None
        with self.services.db.transaction() as session:
            row = session.get(OAuthClient, client_id)
            client = Client(row) if row is not None else None
        if CLIENT_SECRET_OPTIONAL in self.services.breakages and client is not None:
            client.check_endpoint_auth_method = lambda method, endpoint: True  # type: ignore[method-assign]
        return client

    def authenticate_client_secret_basic(self, query_client: Any, request: OAuth2Request) -> Client | None:
        any_scheme = CLIENT_AUTH_ANY_SCHEME in self.services.breakages
        return authenticate_client_secret_basic(query_client, request, any_scheme=any_scheme)

    def end_user(self, user_id: str, auth_time: datetime) -> EndUser | None:
        with self.services.db.transaction() as session:
            return EndUser(user_id, auth_time) if session.get(User, user_id) is not None else None

    def user_by_login(self, login: str) -> User | None:
        if not tokens.storable(login):
            return None
        with self.services.db.transaction() as session:
            return session.scalar(select(User).where(User.login == login))

    def users(self) -> list[tuple[User, list[str]]]:
        """Every account of the directory, with the names of its firms (for the login page)."""
        with self.services.db.transaction() as session:
            people = session.scalars(select(User).order_by(User.family_name, User.given_name)).all()
            return [(user, [firm.name for firm in firms_of(session, user.id)]) for user in people]

    def scoped_claims(self, user_id: str, scope: str) -> dict[str, Any]:
        """The claims that ``scope`` releases about a person (``sub`` always)."""
        with self.services.db.transaction() as session:
            user = session.get(User, user_id)
            if user is None:
                raise InvalidTokenError(description="The person behind this token no longer exists.")
            claims = user_claims(session, user)
        if FIRMS_CLAIM_OMITTED in self.services.breakages:
            claims.pop("firms")
        released = {"sub"}
        for name in (scope or "").split():
            released.update(SCOPE_CLAIMS.get(name, ()))
        return {name: value for name, value in claims.items() if name in released}

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Store the tokens, in the transaction that consumes the code or the refresh token they come from."""
        now = self.now()
        code: AuthorizationCode | None = request.authorization_code
        old: RefreshToken | None = request.refresh_token
        grant_id = code.row.id if code is not None else old.row.grant_id if old is not None else None
        if grant_id is None:  # pragma: no cover - only the two grants above issue tokens
            raise RuntimeError("a token without a code or refresh token")
        breakages = self.services.breakages
        if ACCESS_TOKEN_LIFETIME_MISANNOUNCED in breakages:
            token["expires_in"] = 2 * token["expires_in"]
        careless = CODE_REDEMPTION_RACE if code is not None else REFRESH_RACE
        with self.services.db.transaction(lock=careless not in breakages) as session:
            if code is not None:
                consumed = (
                    CODE_REUSABLE in breakages
                    or CODE_REDEMPTION_RACE in breakages
                    or tokens.redeem_code(session, grant_id, now)
                )
            else:
                assert old is not None
                consumed = (
                    REFRESH_TOKEN_REUSABLE in breakages
                    or REFRESH_RACE in breakages
                    or tokens.use_refresh_token(session, old.row.id, now)
                )
            if consumed:
                tokens.save_tokens(
                    session,
                    grant_id=grant_id,
                    client_id=request.client.client_id,
                    user_id=request.user.id,
                    scope=token.get("scope", ""),
                    access_token=token["access_token"],
                    refresh_token=token.get("refresh_token"),
                    now=now,
                    lifetime=NEVER if ACCESS_TOKEN_NEVER_EXPIRES in breakages else tokens.ACCESS_TOKEN_LIFETIME,
                    refresh_lifetime=NEVER
                    if REFRESH_TOKEN_NEVER_EXPIRES in breakages
                    else tokens.REFRESH_TOKEN_LIFETIME,
                )
        if not consumed:  # a concurrent request used it first: that is a replay
            with self.services.db.transaction() as session:
                tokens.revoke_grant(session, grant_id, now)
            raise InvalidGrantError("The code or refresh token was already used; its tokens are revoked.")


# -- Authlib's server --------------------------------------------------------------------------------------------


class _Server(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, provider: SsoProvider) -> None:
        super().__init__(query_client=provider.query_client, save_token=provider.save_token)
        self.provider = provider
        self.scopes_supported = list(SCOPES_SUPPORTED)
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=_new_access_token,
                refresh_token_generator=_new_refresh_token,
                expires_generator=int(tokens.ACCESS_TOKEN_LIFETIME.total_seconds()),
            ),
        )
        self.register_client_auth_method("client_secret_basic", provider.authenticate_client_secret_basic)
        self.register_grant(CodeGrant, [S256Only(required=True), IdTokens(provider)])
        self.register_grant(RefreshGrant)
        protector = BearerProtector()
        protector.register_token_validator(AccessTokenValidator(provider))
        self.register_endpoint(UserInfo(provider, protector))
        self.register_endpoint(EndSession(provider))

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return MockOAuth2Request(flask_request)

    def get_token_grant(self, request: OAuth2Request) -> Any:
        # RFC 6749 section 5.2: a missing parameter is invalid_request; unsupported_grant_type is for a grant_type
        # that was sent (Authlib answers the latter for both).
        if not request.payload.grant_type:
            raise _MissingGrantType()
        return super().get_token_grant(request)

    def get_authorization_grant(self, request: OAuth2Request) -> Any:
        if request.payload.response_type == "code":
            return super().get_authorization_grant(request)
        # Authlib copies the raw response_type into error_description, which must be plain ASCII: say it here.
        client = self.query_client(request.payload.client_id) if request.payload.client_id else None
        redirect_uri = request.payload.redirect_uri
        valid = client is not None and redirect_uri and client.check_redirect_uri(redirect_uri)
        if RESPONSE_TYPE_ERROR_NOT_REDIRECTED in self.provider.services.breakages:
            valid = False
        raise UnsupportedResponseTypeError(
            "code",
            description="Only response_type=code is supported.",
            redirect_uri=redirect_uri if valid else None,
        )


class _MissingGrantType(UnsupportedGrantTypeError):  # type: ignore[misc]
    """Raised where Authlib expects :class:`UnsupportedGrantTypeError`, with the wire code of a missing parameter."""

    error = "invalid_request"

    def __init__(self) -> None:
        super().__init__(None)
        self.description = "Missing 'grant_type'."

    def get_error_description(self) -> str:
        return self.description


def _new_access_token(**_: Any) -> str:
    return secrets.token_urlsafe(32)


def _new_refresh_token(**_: Any) -> str:
    return secrets.token_urlsafe(48)
