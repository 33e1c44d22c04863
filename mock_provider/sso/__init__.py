"""The profession's SSO (Comptexpert / ExpertPass) as the mock plays it: an OpenID Connect provider under ``/sso``.

Endpoints (issuer ``<base_url>/sso``; every URL is built from ``config.base_url``):

- ``/sso/.well-known/openid-configuration`` discovery, advertising only what is enforced;
- ``/sso/jwks`` the RS256 key that signs ID tokens, with a stable ``kid``;
- ``/sso/authorize`` authorization code flow with PKCE S256 required of every client; a French login page
  ("Connexion Comptexpert") lists the seeded accounts, without passwords;
- ``/sso/token`` grants ``authorization_code`` and ``refresh_token``; confidential clients authenticate with
  ``client_secret_basic`` only, public clients with ``none`` and PKCE;
- ``/sso/userinfo`` (GET or POST, Bearer), ``/sso/logout`` (RP-initiated logout, revokes the person's tokens at
  that client).

Claims by scope: ``openid`` gives ``sub``; ``profile`` the names, ``firms`` (id, name, siren, siret, role,
delegations) and ``identity_source`` (``comptexpert`` or ``expertpass``: which of the profession's two identity
sources vouched for the person); ``email``; ``phone`` gives ``phone_number`` when the directory knows one.

**Non-interactive login for automated tests.** When the ``control_plane`` setting is on (the default),
``login_hint=<login>`` on ``/sso/authorize`` logs that seeded account in at once and redirects back with the code,
with no page. When it is off, ``login_hint`` only pre-selects the account on the login page.

Access tokens (1 hour) and refresh tokens (30 days, single use: each refresh returns a new one) are opaque and
stored as SHA-256 digests; codes live 10 minutes on the mock clock and are single use. Replaying a code or a
used refresh token revokes every token of that grant.

The browser session (who is logged in at the SSO) is Flask's signed cookie: :func:`install_sso` sets the app's
``SECRET_KEY``, unless one is already set, to a key derived from the mock's secret (``services.secret``, from
the ``secret_key`` setting or ``data_dir/secret.key``), so that every worker accepts every other's cookies.

The caller's job: call :func:`install_sso` once in the app factory; protect an API with
:func:`authenticate_bearer`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mock_provider.core.sso_tokens import Unauthenticated, authenticate_bearer

if TYPE_CHECKING:
    from flask import Flask

    from mock_provider.core.services import MockServices

__all__ = ["Unauthenticated", "authenticate_bearer", "install_sso"]


def install_sso(app: Flask, services: MockServices) -> None:
    """Serve the SSO on ``app``: the ``/sso`` blueprint, the session secret. A second call does nothing."""
    # Imported here so that importing the package (core.models does, for the tables) pulls in neither Flask
    # nor Authlib: the core stays framework-free.
    from mock_provider.sso.blueprint import install

    install(app, services)
