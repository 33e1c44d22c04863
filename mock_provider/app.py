"""The mock provider's Flask application factory.

``create_app(config)`` builds one WSGI app that plays every remote party under its URL prefix (DESIGN.md
section 1). The core services live in ``app.extensions["jesign_mock"]``; blueprints are thin adapters over them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, redirect, request
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from itsdangerous import URLSafeTimedSerializer
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from mock_provider.api import (
    control,
    csc,
    csc_oauth2,
    hooks,
    id_validations,
    idempotency,
    openapi,
    pki,
    platform,
    request_json,
    seals,
    server_headers,
    transactions,
    trust,
    webhooks,
)
from mock_provider.api.common import install_writes_after_response
from mock_provider.api.ocsp_endpoint import OcspEndpoint
from mock_provider.config import MockConfig, load_config
from mock_provider.core.clock import Clock
from mock_provider.core.misbehaviour.catalogue import CATALOGUE
from mock_provider.core.misbehaviour.switch import Breakage
from mock_provider.core.services import MockServices, build_services
from mock_provider.http_common import problems
from mock_provider.http_common.problems import json_response as _json
from mock_provider.sso.blueprint import install as install_sso  # declares the SSO's switches, for build_services
from mock_provider.web import install_web

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: The parties, with their URL prefix, in the order the server prints them.
PARTIES = {
    "sso": "/sso",
    "platform": "/platform/api/v1",
    "trust": "/trust/v1",
    "csc": "/trust/csc/v2",
    "pki": "/pki",
    "control": "/_mock",
}


def create_app(config: MockConfig | Mapping[str, Any] | None = None, *, clock: Clock | None = None) -> Flask:
    """Build the mock's WSGI app.

    ``config`` is a :class:`MockConfig`, or a mapping of overrides applied on top of the defaults, the file
    named by ``JESIGN_MOCK_CONFIG`` and ``JESIGN_MOCK_*`` variables. ``clock`` replaces the default
    :class:`~mock_provider.core.clock.StoredClock` (kept in the database, shared by worker processes); tests pass
    a :class:`~mock_provider.core.clock.ManualClock`.
    """
    if not isinstance(config, MockConfig):
        config = load_config(config)
    services = build_services(config, clock=clock)
    app = Flask(__name__)
    app.config["JSON_SORT_KEYS"] = False
    app.session_interface = CachedSerializerSessions()
    app.extensions["jesign_mock"] = services
    request_json.install(app)
    problems.install(app)
    server_headers.install(app, services.clock)
    # First of the after_request hooks to register, so the last to run: it commits the request's bookkeeping.
    install_writes_after_response(app)
    app.register_blueprint(pki.bp)
    app.register_blueprint(platform.bp)
    app.register_blueprint(trust.bp)
    app.register_blueprint(id_validations.bp)
    app.register_blueprint(seals.bp)
    app.register_blueprint(transactions.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(csc.v2)
    app.register_blueprint(csc.v1)
    app.register_blueprint(openapi.bp)
    install_sso(app, services)
    csc_oauth2.install(app)
    install_web(app)
    if config.control_plane:
        hooks.install(app)
        app.register_blueprint(control.bp)
        app.register_blueprint(webhooks.control_bp)
    # After the control plane's hooks: its answer is kept before an injected fault may replace it.
    idempotency.install(app)
    # OCSP is served by a plain WSGI app in front of Flask: it is the one hot path (see ocsp_endpoint).
    app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        read_counters_once(app.wsgi_app, services), {"/pki/ocsp": OcspEndpoint(services)}
    )

    @app.get("/")
    def index() -> ResponseReturnValue:
        if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
            return redirect("/platform/", 303)  # a browser: the platform's home page
        body = {
            "service": "jesign mock provider",
            "warning": "TEST ONLY - NOT FOR PRODUCTION: every certificate it issues is worthless",
            "parties": {
                name: services.config.base_url + prefix
                for name, prefix in PARTIES.items()
                if name != "control" or services.config.control_plane
            },
        }
        return _json(body)

    @app.get("/healthz")
    def healthz() -> Response:
        return _json({"status": "ok"})

    return app


def read_counters_once(wsgi_app: WSGIApplication, services: MockServices) -> WSGIApplication:
    """``wsgi_app`` reading the counters of every request (the clock's, the absence latches', the switches') once
    per request, in one query, instead of once per reader (see ``Database.counters_read_once``)."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with services.db.counters_read_once():
            return wsgi_app(environ, start_response)

    return app


class CachedSerializerSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions (the SSO's and the screens'), with the signing serializer made once per
    secret instead of on every request: Flask builds it to open each request's session, cookie or not, which
    costs about 25 microseconds, a tenth of a trivial request."""

    def __init__(self) -> None:
        self._made: tuple[object, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        made = self._made
        if made is None or made[0] != key:
            made = self._made = (key, super().get_signing_serializer(app))
        return made[1]


def services_of(app: Flask) -> MockServices:
    """The core services of an app made by :func:`create_app`."""
    services: MockServices = app.extensions["jesign_mock"]
    return services


def breakage_catalogue() -> dict[str, Breakage]:
    """Every rule-breakage switch of the mock, by id (a copy of the core's catalogue)."""
    return dict(CATALOGUE)
