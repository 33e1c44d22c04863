"""The SSO's browser session: who is logged in at the SSO in this browser, since when, and the secret behind its
forms' anti-CSRF tokens. It is Flask's signed session cookie (the key: :func:`mock_provider.sso.keys.session_secret`).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import session as browser_session
from werkzeug.datastructures import MultiDict

from mock_provider.http_common.oauth2_clients import EndUser, utf8

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


def session_user(end_user: Callable[[str, datetime], EndUser | None]) -> EndUser | None:
    """The person logged in at the SSO in this browser, if they still exist (``end_user``, the SSO's
    :meth:`~mock_provider.sso.server.SsoProvider.end_user`, says whether they do)."""
    user_id, auth_time = session_user_id(), browser_session.get(_AUTH_TIME)
    if user_id is None or not isinstance(auth_time, int):
        return None
    return end_user(user_id, datetime.fromtimestamp(auth_time, UTC))


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
    return hmac.compare_digest(utf8(form_token(query)), utf8(token))
