"""The grants the SSO's token endpoint serves, on Authlib: the authorization code (RFC 6749 section 4.1) with PKCE
S256 for every client (RFC 7636), and the refresh token (section 6) with rotation.

What each enforces, on the mock clock: the ``state`` comes back as sent; ``redirect_uri`` is registered, exactly; a
code lives 10 minutes, is redeemed once, by its client, with its ``redirect_uri`` and the PKCE verifier (43 to 128
characters) whose S256 is its challenge; a refresh token is used once, by its client, never for a wider scope. A
replayed code or refresh token revokes its grant's tokens (:mod:`mock_provider.core.sso_tokens` does the storage; the
provider's ``save_token`` consumes the code or refresh token in the transaction that stores the new tokens).

Each rule has its rule-breakage switch, declared here next to the code that honours it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus, urlsplit

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import AccessDeniedError, InvalidRequestError, OAuth2Request, TokenMixin
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_plain_code_challenge, compare_s256_code_challenge
from authlib.oidc.core import AuthorizationCodeMixin

from mock_provider.core import sso_tokens as tokens
from mock_provider.core.misbehaviour.areas.sso import (
    ALLOW_PKCE_PLAIN,
    CODE_NEVER_EXPIRES,
    CODE_NOT_BOUND_TO_CLIENT,
    CODE_REDIRECT_URI_UNCHECKED,
    CODE_REPLAY_KEEPS_TOKENS,
    CODE_VERIFIER_ANY_LENGTH,
    CODE_VERIFIER_OPTIONAL,
    IGNORE_CODE_VERIFIER,
    LOOPBACK_PORT_FIXED,
    LOOPBACK_REDIRECT_URI_LOOSE,
    PKCE_METHOD_DEFAULTS_TO_S256,
    PKCE_PLAIN_FALLBACK,
    PUBLIC_REFRESH_NOT_ROTATED,
    REDIRECT_TO_UNREGISTERED_URI,
    REDIRECT_URI_PREFIX_MATCH,
    REFRESH_REPLAY_KEEPS_TOKENS,
    REFRESH_SCOPE_WIDENED,
    REFRESH_TOKEN_NOT_BOUND_TO_CLIENT,
    SKIP_PKCE,
    STATE_DOUBLE_DECODED,
    STATE_DROPPED,
)
from mock_provider.core.sso_models import SsoAuthorizationCode, SsoToken
from mock_provider.http_common.oauth2_clients import TOKEN_ENDPOINT_AUTH_METHODS, Client, EndUser

if TYPE_CHECKING:
    from mock_provider.sso.server import SsoProvider

#: How long a code or token lives while a switch makes it never expire.
NEVER = timedelta(days=3650)


class AuthorizationCode(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, row: SsoAuthorizationCode, *, redirect_uri: str | None) -> None:
        self.row = row
        self.code_challenge = row.code_challenge or None
        self.code_challenge_method = row.code_challenge_method or None
        self.redirect_uri = redirect_uri

    def get_redirect_uri(self) -> str | None:
        """The URI the token request must repeat (RFC 6749 section 4.1.3); None skips the comparison."""
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return int(self.row.auth_time.timestamp())


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_ENDPOINT_AUTH_METHODS

    @property
    def provider(self) -> SsoProvider:
        provider: SsoProvider = self.server.provider
        return provider

    def validate_authorization_redirect_uri(self, request: OAuth2Request, client: Client) -> str:
        # Authlib's own messages quote the URI, which may hold characters an error_description must not.
        redirect_uri: str | None = request.payload.redirect_uri
        if not redirect_uri:
            raise InvalidRequestError("Missing 'redirect_uri': OpenID Connect requires it.")
        breakages = self.provider.services.breakages
        if REDIRECT_URI_PREFIX_MATCH in breakages and redirect_uri.startswith(client.redirect_uris):
            return redirect_uri
        if LOOPBACK_REDIRECT_URI_LOOSE in breakages and urlsplit(redirect_uri).hostname in ("127.0.0.1", "::1"):
            return redirect_uri
        if LOOPBACK_PORT_FIXED in breakages and redirect_uri not in client.redirect_uris:
            raise InvalidRequestError("The 'redirect_uri' is not registered for this client.")
        if not client.check_redirect_uri(redirect_uri):
            # Never redirected to (RFC 6749 section 4.1.2.1): the error stays at the SSO, on a page.
            open_redirect = REDIRECT_TO_UNREGISTERED_URI in breakages
            raise InvalidRequestError(
                "The 'redirect_uri' is not registered for this client.",
                redirect_uri=redirect_uri if open_redirect else None,
            )
        return redirect_uri

    def create_authorization_response(self, redirect_uri: str, grant_user: EndUser | None) -> tuple[int, str, Any]:
        """Authlib's, with the state that comes back as the exact value sent (RFC 6749 section 4.1.2)."""
        if not grant_user:
            raise AccessDeniedError(redirect_uri=redirect_uri)
        self.request.user = grant_user
        code = self.generate_authorization_code()
        self.save_authorization_code(code, self.request)
        state: str | None = self.request.payload.state
        breakages = self.provider.services.breakages
        if STATE_DROPPED in breakages:
            state = None
        if STATE_DOUBLE_DECODED in breakages and state:
            state = unquote_plus(state)
        params = [("code", code), *([("state", state)] if state else [])]
        return 302, "", [("Location", add_params_to_uri(redirect_uri, params))]

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
                # Always there, save while the switch skip_pkce is on (a code without PKCE, as a careless provider).
                code_challenge=data.get("code_challenge") or "",
                code_challenge_method=data.get("code_challenge_method") or "",
                now=self.provider.now(),
                lifetime=NEVER if CODE_NEVER_EXPIRES in self.provider.services.breakages else tokens.CODE_LIFETIME,
            )

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        breakages = self.provider.services.breakages
        with self.provider.services.db.transaction() as session:
            row = tokens.find_code(
                session,
                code,
                None if CODE_NOT_BOUND_TO_CLIENT in breakages else client.client_id,
                self.provider.now(),
                revoke_replayed=CODE_REPLAY_KEEPS_TOKENS not in breakages,
            )
        if row is None:
            return None
        unchecked = CODE_REDIRECT_URI_UNCHECKED in breakages
        return AuthorizationCode(row, redirect_uri=None if unchecked else row.redirect_uri)

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Nothing left to do: :meth:`SsoProvider.save_token` consumed the code with the tokens' insertion."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> EndUser | None:
        return self.provider.end_user(authorization_code.row.user_id, authorization_code.row.auth_time)


class RefreshToken(TokenMixin):  # type: ignore[misc]
    def __init__(self, row: SsoToken, *, bound: bool = True) -> None:
        self.row = row
        self.bound = bound

    def check_client(self, client: Client) -> bool:
        """A refresh token is used only by the client it was issued to (RFC 6749 section 6)."""
        return self.row.client_id == client.client_id or not self.bound

    def get_scope(self) -> str:
        return self.row.scope


class RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_ENDPOINT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh token is single use

    @property
    def provider(self) -> SsoProvider:
        provider: SsoProvider = self.server.provider
        return provider

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken | None:
        breakages = self.provider.services.breakages
        with self.provider.services.db.transaction() as session:
            row = tokens.find_refresh_token(
                session,
                refresh_token,
                self.provider.now(),
                revoke_replayed=REFRESH_REPLAY_KEEPS_TOKENS not in breakages,
            )
        if row is None:
            return None
        return RefreshToken(row, bound=REFRESH_TOKEN_NOT_BOUND_TO_CLIENT not in breakages)

    def issue_token(self, user: EndUser, refresh_token: RefreshToken) -> dict[str, Any]:
        token: dict[str, Any] = super().issue_token(user, refresh_token)
        if PUBLIC_REFRESH_NOT_ROTATED in self.provider.services.breakages and self.request.client.client_secret is None:
            token.pop("refresh_token", None)
        return token

    def authenticate_user(self, refresh_token: RefreshToken) -> EndUser | None:
        return self.provider.end_user(refresh_token.row.user_id, refresh_token.row.issued_at)

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        """Nothing left to do: :meth:`SsoProvider.save_token` marked it used with the new tokens' insertion."""

    def _validate_token_scope(self, token: RefreshToken) -> None:
        # Authlib's rule (RFC 6749 section 6): the scope asked for is within the scope granted, else invalid_scope.
        if REFRESH_SCOPE_WIDENED in self.provider.services.breakages:
            return
        super()._validate_token_scope(token)


class S256Only(CodeChallenge):  # type: ignore[misc]
    """PKCE for every client, with S256 only (Authlib's default also lets confidential clients skip it)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    # "plain" codes exist only while the switch allow_pkce_plain is on.
    CODE_CHALLENGE_METHODS = {"S256": compare_s256_code_challenge, "plain": compare_plain_code_challenge}

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        breakages = grant.server.provider.services.breakages
        verifier = grant.request.form.get("code_verifier")
        challenge = grant.request.authorization_code.code_challenge
        if IGNORE_CODE_VERIFIER in breakages:
            return
        if CODE_VERIFIER_OPTIONAL in breakages and not verifier:
            return
        if PKCE_PLAIN_FALLBACK in breakages and verifier == challenge:
            return
        if CODE_VERIFIER_ANY_LENGTH in breakages and verifier and compare_s256_code_challenge(verifier, challenge):
            return
        super().validate_code_verifier(grant, result)

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        breakages = grant.server.provider.services.breakages
        if SKIP_PKCE in breakages:
            return
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send 'code_challenge' with 'code_challenge_method=S256'.")
        if ALLOW_PKCE_PLAIN in breakages and data.get("code_challenge_method") == "plain":
            return
        if PKCE_METHOD_DEFAULTS_TO_S256 in breakages and not data.get("code_challenge_method"):
            super().validate_code_challenge(grant, redirect_uri)
            return
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256 ('plain' is refused).")
        super().validate_code_challenge(grant, redirect_uri)
