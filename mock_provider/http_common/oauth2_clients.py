"""The SSO's clients and end users as Authlib sees them, and how a confidential client authenticates.

A client is registered in ``oauth_clients`` (the seed): confidential when it has a secret (``client_secret_basic``
only, RFC 6749 section 2.3.1), public otherwise (``none``, its ``client_id`` in the body, and PKCE). Its
``redirect_uri`` must match a registered one exactly, except that a loopback IP literal (``http://127.0.0.1/...``,
``http://[::1]/...``) matches on any port (RFC 8252 section 7.3).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus, urlsplit

from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2.rfc6749 import ClientMixin, InvalidClientError, OAuth2Request

from mock_provider.core.models import OAuthClient

SCOPES_SUPPORTED = ("openid", "profile", "email", "phone", "offline_access")
GRANT_TYPES = ("authorization_code", "refresh_token")
TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "none"]
_LOOPBACK_HOSTS = ("127.0.0.1", "::1")


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
        (want.scheme, got.scheme) == ("http", "http")
        and want.hostname in _LOOPBACK_HOSTS
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
            return False  # a public client has no secret: it never authenticates with one
        return hmac.compare_digest(utf8(self.client_secret), utf8(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.token_endpoint_auth_method if endpoint == "token" else True

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


def utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def authenticate_client_secret_basic(
    query_client: Any, request: OAuth2Request, *, any_scheme: bool = False
) -> Client | None:
    """``client_secret_basic`` (RFC 6749 section 2.3.1), refusing undecodable headers instead of failing.

    ``any_scheme`` (the switch ``client_auth_any_scheme``) reads the credentials whatever the scheme.
    """
    scheme, _, credentials = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "basic" and not any_scheme:
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


class MockOAuth2Request(FlaskOAuth2Request):  # type: ignore[misc]
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
