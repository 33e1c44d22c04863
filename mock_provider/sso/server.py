"""Authlib's OpenID Connect provider, wired to the mock's directory, storage, clock and keys.

Authlib does the protocol (RFC 6749 code and refresh grants, RFC 7636 PKCE, OpenID Connect's ID token, userinfo
and RP-initiated logout); this module supplies what it leaves to the server: clients from ``oauth_clients``,
codes and tokens through :mod:`mock_provider.sso.tokens`, the signing key, the clock. Its rules, stricter than
Authlib's defaults and advertised as such by the discovery document:

- response type ``code`` only; ``redirect_uri`` required and matched exactly, except that a loopback IP literal
  (``http://127.0.0.1/...``, ``http://[::1]/...``) matches on any port (RFC 8252 section 7.3);
- PKCE with ``S256`` for every client, confidential or public (``plain`` and a missing challenge are refused);
- at the token endpoint, a confidential client authenticates with ``client_secret_basic`` only, a public client
  with ``none`` (its ``client_id`` in the body) and its PKCE verifier;
- tokens are issued in the same transaction that consumes the code or rotates the refresh token.

The browser session of the SSO (who is logged in, since when, and the secret behind login forms) is Flask's
signed session cookie; the helpers at the end read and write it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus, urlencode, urlsplit

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    MissingAuthorizationError,
    OAuth2Request,
    TokenMixin,
    UnsupportedResponseTypeError,
    UnsupportedTokenTypeError,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator, InvalidTokenError
from authlib.oauth2.rfc6750.errors import InsufficientScopeError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from authlib.oidc.core import AuthorizationCodeMixin, OpenIDCode, UserInfoEndpoint
from authlib.oidc.rpinitiated import EndSessionEndpoint, EndSessionRequest
from flask import request as flask_request
from flask import session as browser_session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from mock_provider.core.accounts import firms_of, user_claims
from mock_provider.core.breakages import declare
from mock_provider.core.models import OAuthClient, User
from mock_provider.sso import tokens
from mock_provider.sso.keys import SIGNING_ALGORITHM, SigningKey
from mock_provider.sso.models import SsoAuthorizationCode, SsoToken

if TYPE_CHECKING:
    from mock_provider.core.services import MockServices

SCOPES_SUPPORTED = ("openid", "profile", "email", "phone", "offline_access")
GRANT_TYPES = ("authorization_code", "refresh_token")
TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "none"]
ID_TOKEN_LIFETIME_SECONDS = 3600
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
_LOOPBACK_HOSTS = ("127.0.0.1", "::1")
_MAX_NONCE = 255
_REALM = "jesign-sso"


@dataclass(frozen=True)
class EndUser:
    """The person an authorization is for, and when they logged in at the SSO."""

    id: str
    auth_time: datetime


def redirect_uri_matches(registered: str, requested: str) -> bool:
    """Exact match, or, for a loopback IP literal, the same URI on any port (RFC 8252 section 7.3)."""
    if requested == registered:
        return True
    try:
        want, got = urlsplit(registered), urlsplit(requested)
        want.port, got.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return False
    return (
        want.scheme == got.scheme == "http"
        and got.hostname in _LOOPBACK_HOSTS
        and got.hostname == want.hostname
        and got.username is None
        and got.password is None
        and not got.fragment
        and (got.path, got.query) == (want.path, want.query)
    )


class Client(ClientMixin):  # type: ignore[misc]
    """A registered client: confidential when it has a secret, public otherwise."""

    #: Authlib's userinfo endpoint reads it for ``userinfo_signed_response_alg``: none, so userinfo is JSON.
    client_metadata: Mapping[str, Any] = {}

    def __init__(self, row: OAuthClient) -> None:
        self.client_id = row.client_id
        self.client_secret = row.client_secret
        self.redirect_uris = tuple(row.redirect_uris.split())
        self.name = row.name

    @property
    def token_endpoint_auth_method(self) -> str:
        return "client_secret_basic" if self.client_secret is not None else "none"

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # OpenID Connect requires redirect_uri in every authorization request

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        return " ".join(dict.fromkeys(s for s in scope.split() if s in SCOPES_SUPPORTED))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return any(redirect_uri_matches(registered, redirect_uri) for registered in self.redirect_uris)

    def check_client_secret(self, client_secret: str) -> bool:
        if self.client_secret is None:
            return False
        return hmac.compare_digest(_utf8(self.client_secret), _utf8(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.token_endpoint_auth_method if endpoint == "token" else True

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


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
        return {
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

    def now(self) -> datetime:
        return self.services.clock.now()

    def query_client(self, client_id: str) -> Client | None:
        if not _storable(client_id):
            return None
        with self.services.db.transaction() as session:
            row = session.get(OAuthClient, client_id)
            return Client(row) if row is not None else None

    def end_user(self, user_id: str, auth_time: datetime) -> EndUser | None:
        with self.services.db.transaction() as session:
            return EndUser(user_id, auth_time) if session.get(User, user_id) is not None else None

    def user_by_login(self, login: str) -> User | None:
        if not _storable(login):
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
        code: _AuthorizationCode | None = request.authorization_code
        old: _RefreshToken | None = request.refresh_token
        grant_id = code.row.id if code is not None else old.row.grant_id if old is not None else None
        if grant_id is None:  # pragma: no cover - only the two grants above issue tokens
            raise RuntimeError("a token without a code or refresh token")
        with self.services.db.transaction() as session:
            if code is not None:
                consumed = tokens.redeem_code(session, grant_id, now)
            else:
                assert old is not None
                consumed = tokens.use_refresh_token(session, old.row.id, now)
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
                )
        if not consumed:  # a concurrent request used it first: that is a replay
            with self.services.db.transaction() as session:
                tokens.revoke_grant(session, grant_id, now)
            raise InvalidGrantError("The code or refresh token was already used; its tokens are revoked.")


# -- Authlib's server and its grants --------------------------------------------------------------------------------


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
        self.register_client_auth_method("client_secret_basic", _authenticate_client_secret_basic)
        self.register_grant(_AuthorizationCodeGrant, [_S256Only(required=True), _OpenIDCode(provider)])
        self.register_grant(_RefreshTokenGrant)
        protector = _BearerProtector()
        protector.register_token_validator(_AccessTokenValidator(provider))
        self.register_endpoint(_UserInfoEndpoint(provider, protector))
        self.register_endpoint(_EndSessionEndpoint(provider))

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return _MockOAuth2Request(flask_request)

    def get_authorization_grant(self, request: OAuth2Request) -> Any:
        if request.payload.response_type == "code":
            return super().get_authorization_grant(request)
        # Authlib copies the raw response_type into error_description, which must be plain ASCII: say it here.
        client = self.query_client(request.payload.client_id) if request.payload.client_id else None
        redirect_uri = request.payload.redirect_uri
        valid = client is not None and redirect_uri and client.check_redirect_uri(redirect_uri)
        raise UnsupportedResponseTypeError(
            "code",
            description="Only response_type=code is supported.",
            redirect_uri=redirect_uri if valid else None,
        )


class _MockOAuth2Request(FlaskOAuth2Request):  # type: ignore[misc]
    """Flask's request as Authlib reads it, without Authlib's refusal of plain HTTP.

    Authlib accepts ``http`` on loopback hosts only; the mock serves plain HTTP on any name (a team's shared
    instance, ``http://sso.jesign-mock.example.com``), so the check is given the ``https`` form of the URL.
    """

    def __init__(self, request: Any) -> None:
        url: str = request.url
        checked = "https" + url[len("http") :] if url.startswith("http:") else url
        OAuth2Request.__init__(self, request.method, checked, headers=request.headers)
        self.uri = url
        self._request = request
        self.payload = FlaskOAuth2Payload(request)


def _new_access_token(**_: Any) -> str:
    return secrets.token_urlsafe(32)


def _new_refresh_token(**_: Any) -> str:
    return secrets.token_urlsafe(48)


def _storable(text: str) -> bool:
    """Whether a caller's text may reach the database (PostgreSQL refuses NUL characters in text)."""
    return "\x00" not in text


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _authenticate_client_secret_basic(query_client: Any, request: OAuth2Request) -> Client | None:
    """``client_secret_basic`` (RFC 6749 section 2.3.1), refusing undecodable headers instead of failing."""
    scheme, _, credentials = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, separator, secret = decoded.partition(":")
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    if not client_id or not separator or not secret:
        return None
    client: Client | None = query_client(client_id)
    if client is None:
        raise InvalidClientError(status_code=401, description="The client does not exist on this server.")
    return client if client.check_client_secret(secret) else None


class _AuthorizationCode(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, row: SsoAuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return int(self.row.auth_time.timestamp())


class _AuthorizationCodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_ENDPOINT_AUTH_METHODS

    @property
    def provider(self) -> SsoProvider:
        provider: SsoProvider = self.server.provider
        return provider

    @staticmethod
    def validate_authorization_redirect_uri(request: OAuth2Request, client: Client) -> str:
        # Authlib's own messages quote the URI, which may hold characters an error_description must not.
        redirect_uri: str | None = request.payload.redirect_uri
        if not redirect_uri:
            raise InvalidRequestError("Missing 'redirect_uri': OpenID Connect requires it.")
        if not client.check_redirect_uri(redirect_uri):
            raise InvalidRequestError("The 'redirect_uri' is not registered for this client.")
        return redirect_uri

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        user: EndUser = request.user
        data = request.payload.data
        with self.provider.services.db.transaction() as session:
            tokens.save_code(
                session,
                code,
                client_id=request.client.client_id,
                user_id=user.id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope or "",
                nonce=data.get("nonce") or None,
                auth_time=user.auth_time,
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                now=self.provider.now(),
            )

    def query_authorization_code(self, code: str, client: Client) -> _AuthorizationCode | None:
        with self.provider.services.db.transaction() as session:
            row = tokens.find_code(session, code, client.client_id, self.provider.now())
        return _AuthorizationCode(row) if row is not None else None

    def delete_authorization_code(self, authorization_code: _AuthorizationCode) -> None:
        """Nothing left to do: :meth:`SsoProvider.save_token` consumed the code with the tokens' insertion."""

    def authenticate_user(self, authorization_code: _AuthorizationCode) -> EndUser | None:
        return self.provider.end_user(authorization_code.row.user_id, authorization_code.row.auth_time)


class _RefreshToken(TokenMixin):  # type: ignore[misc]
    def __init__(self, row: SsoToken) -> None:
        self.row = row

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.client_id

    def get_scope(self) -> str:
        return self.row.scope


class _RefreshTokenGrant(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_ENDPOINT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh token is single use

    @property
    def provider(self) -> SsoProvider:
        provider: SsoProvider = self.server.provider
        return provider

    def authenticate_refresh_token(self, refresh_token: str) -> _RefreshToken | None:
        with self.provider.services.db.transaction() as session:
            row = tokens.find_refresh_token(session, refresh_token, self.provider.now())
        return _RefreshToken(row) if row is not None else None

    def authenticate_user(self, refresh_token: _RefreshToken) -> EndUser | None:
        return self.provider.end_user(refresh_token.row.user_id, refresh_token.row.issued_at)

    def revoke_old_credential(self, refresh_token: _RefreshToken) -> None:
        """Nothing left to do: :meth:`SsoProvider.save_token` marked it used with the new tokens' insertion."""


SKIP_PKCE = declare(
    "skip_pkce",
    rule="The SSO refuses an authorization request without a PKCE S256 code challenge.",
    check="registration.login.pkce_required",
)
FIRMS_CLAIM_OMITTED = declare(
    "firms_claim_omitted",
    rule="The SSO's identity carries the person's firms (name, SIREN, role).",
    check="registration.login.identity_claims",
)
IGNORE_CODE_VERIFIER = declare(
    "ignore_code_verifier",
    rule="The SSO refuses to redeem a code with a code_verifier that does not match its challenge.",
    check="registration.login.code_verifier_checked",
)


class _S256Only(CodeChallenge):  # type: ignore[misc]
    """PKCE for every client, with S256 only (Authlib's default also lets confidential clients skip it)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": compare_s256_code_challenge}

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if IGNORE_CODE_VERIFIER in grant.server.provider.services.breakages:
            return
        super().validate_code_verifier(grant, result)

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if SKIP_PKCE in grant.server.provider.services.breakages:
            return
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send 'code_challenge' with 'code_challenge_method=S256'.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256 ('plain' is refused).")
        super().validate_code_challenge(grant, redirect_uri)


class _OpenIDCode(OpenIDCode):  # type: ignore[misc]
    """The ID token: RS256 with the SSO's key, times from the mock clock, claims by scope."""

    def __init__(self, provider: SsoProvider) -> None:
        super().__init__(require_nonce=False)
        self.provider = provider

    def validate_openid_authorization_request(self, grant: Any, redirect_uri: str) -> None:
        nonce = grant.request.payload.data.get("nonce")
        if nonce and (len(nonce) > _MAX_NONCE or not _storable(nonce)):
            raise InvalidRequestError(f"The 'nonce' must be at most {_MAX_NONCE} characters, without NUL.")
        super().validate_openid_authorization_request(grant, redirect_uri)

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        with self.provider.services.db.transaction() as session:
            return tokens.nonce_used(session, request.payload.client_id, nonce)

    def resolve_client_private_key(self, client: Client) -> Any:
        return self.provider.signing_key.private_jwk()

    def get_client_algorithm(self, client: Client) -> str:
        return SIGNING_ALGORITHM

    def get_encode_header(self, client: Client) -> dict[str, str]:
        return {"alg": SIGNING_ALGORITHM, "kid": self.provider.signing_key.kid, "typ": "JWT"}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(self.provider.now().timestamp())
        return {
            "iss": self.provider.issuer,
            "aud": client.client_id,
            "iat": now,
            "exp": now + ID_TOKEN_LIFETIME_SECONDS,
        }

    def generate_user_info(self, user: EndUser, scope: str) -> dict[str, Any]:
        return self.provider.scoped_claims(user.id, scope)


# -- userinfo and logout --------------------------------------------------------------------------------------------


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


class _AccessTokenValidator(BearerTokenValidator):  # type: ignore[misc]
    def __init__(self, provider: SsoProvider) -> None:
        super().__init__(realm=_REALM)
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


class _BearerProtector(ResourceProtector):  # type: ignore[misc]
    """Authlib's protector, answering a missing or non-Bearer header with RFC 6750's ``invalid_token``."""

    def parse_request_authorization(self, request: Any) -> Any:
        try:
            return super().parse_request_authorization(request)
        except (MissingAuthorizationError, UnsupportedTokenTypeError) as exc:
            raise InvalidTokenError(
                description="Send the access token in an 'Authorization: Bearer' header.", realm=_REALM
            ) from exc


class _UserInfoEndpoint(UserInfoEndpoint):  # type: ignore[misc]
    def __init__(self, provider: SsoProvider, protector: _BearerProtector) -> None:
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


class _EndSessionEndpoint(EndSessionEndpoint):  # type: ignore[misc]
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
            token = jwt.decode(id_token_hint, self.get_server_jwks(), algorithms=self.get_algorithms())
            registry.validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise InvalidRequestError("The 'id_token_hint' is not a valid ID token of this provider.") from exc
        return dict(token.claims)

    def _is_valid_post_logout_redirect_uri(self, client: Client, post_logout_redirect_uri: str) -> bool:
        return client.check_redirect_uri(post_logout_redirect_uri)

    def end_session(self, end_session_request: EndSessionRequest) -> None:
        claims = end_session_request.id_token_claims
        client: Client | None = end_session_request.client
        person = claims["sub"] if claims else session_user_id()
        if person and client is not None:
            with self.provider.services.db.transaction() as session:
                tokens.revoke_user_tokens(session, person, client.client_id, self.provider.now())
        forget_login()


# -- the browser session ---------------------------------------------------------------------------------------------

_USER, _AUTH_TIME, _CSRF = "sso_user", "sso_auth_time", "sso_csrf"


def remember_login(user: EndUser) -> None:
    browser_session[_USER] = user.id
    browser_session[_AUTH_TIME] = int(user.auth_time.timestamp())


def forget_login() -> None:
    browser_session.pop(_USER, None)
    browser_session.pop(_AUTH_TIME, None)


def session_user_id() -> str | None:
    user_id = browser_session.get(_USER)
    return user_id if isinstance(user_id, str) else None


def session_user(provider: SsoProvider) -> EndUser | None:
    """The person logged in at the SSO in this browser, if they still exist."""
    user_id, auth_time = session_user_id(), browser_session.get(_AUTH_TIME)
    if user_id is None or not isinstance(auth_time, int):
        return None
    return provider.end_user(user_id, datetime.fromtimestamp(auth_time, UTC))


def form_token(query: MultiDict[str, str]) -> str:
    """A login or logout form's anti-CSRF token: an HMAC, under this browser's own secret, of the request's query.

    The form posts back to the same URL, so the token binds it to that one authorization (or logout) request.
    """
    secret = browser_session.get(_CSRF)
    if not isinstance(secret, str):
        secret = browser_session[_CSRF] = secrets.token_urlsafe(32)
    canonical = urlencode(sorted(query.items(multi=True))).encode("utf-8", "surrogatepass")
    return hmac.new(secret.encode(), canonical, "sha256").hexdigest()


def form_token_valid(query: MultiDict[str, str], token: str | None) -> bool:
    if not token or not isinstance(browser_session.get(_CSRF), str):
        return False
    return hmac.compare_digest(_utf8(form_token(query)), _utf8(token))
