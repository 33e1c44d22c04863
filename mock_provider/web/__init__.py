"""The screens: the platform's and the trust provider's French pages of the user guide, and the developer console.

- :mod:`~mock_provider.web.platform_pages` (jesignexpert.com): login through the SSO as an OpenID Connect relying
  party, step 1 "pré-validation des informations Comptexpert", the hand-off, step 6 "validation des CGU et RGPD";
- :mod:`~mock_provider.web.private_area` and :mod:`~mock_provider.web.signing_pages`: the platform's "Espace
  privé" once registered (the account, the certificate's revocation, error report and renewal, the delegations,
  signing and sealing PDFs through :mod:`jesign_sdk` over the app in-process, :mod:`~mock_provider.web.in_process`);
- :mod:`~mock_provider.web.trust_pages` (Universign): steps 2 to 5, reached through the hand-off URL
  ``/trust/enroll/<registration>?session=<token>`` that the platform (or an integrator, through the platform API)
  obtains; it returns to the registration's ``redirect_url`` with the outcome;
- :mod:`~mock_provider.web.console` at ``/console``: the control plane for people (only when it is enabled).

Every page is plain HTML forms (no JavaScript), styled by one local stylesheet. Forms carry an anti-CSRF token
kept in the session cookie (HttpOnly, SameSite=Lax). Every rule lives in the core: a handler calls one core method
and shows its error, with the same stable ``code`` as the JSON APIs, next to the field it concerns.

The caller's job: :func:`install_web` once in the app factory, after the SSO (which sets the session secret).
"""

from __future__ import annotations

from flask import Flask

from mock_provider.http_common import pages

EXTENSION = "jesign_web"


def install_web(app: Flask) -> None:
    """Serve the screens (and the console when the control plane is on) on ``app``."""
    from mock_provider.web import console, platform_pages, private_area, signing_pages, trust_pages

    if EXTENSION in app.extensions:
        return
    app.extensions[EXTENSION] = app  # the platform's in-process calls to its SSO go through the whole app
    pages.install(app)
    blueprints = [platform_pages.bp, private_area.bp, signing_pages.bp, trust_pages.bp]
    if app.extensions["jesign_mock"].config.control_plane:
        blueprints.append(console.bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
