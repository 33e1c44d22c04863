"""What every HTML page shares (the screens', and the CSC authorization page's): the anti-CSRF token, the HTML answer
and its headers, and core errors shown in French next to the field they concern.

Screens are thin: each handler calls one method of the core (:mod:`mock_provider.core.registration` and friends),
catches the core's :class:`~mock_provider.core.errors.MockError` and shows it with :class:`Problem`, keeping the
problem's stable ``code`` (the same one the JSON APIs answer) in a ``data-problem-code`` attribute and in the text.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, render_template, request, session
from werkzeug.wrappers import Response as BaseResponse

from mock_provider.core.errors import MockError

#: What a screen answers: a page (Flask's response) or a redirect (Werkzeug's).
Answer = BaseResponse

#: The pages' common parts: the layouts (``web/base.html``, the trust provider's ``web/trust/base.html``), the
#: error page, the form macros, and the one stylesheet under ``/assets``. Every adapter that shows a page installs
#: it (:func:`install`).
chrome = Blueprint(
    "web_assets", __name__, static_folder="static", static_url_path="/assets", template_folder="templates"
)

CSRF_SESSION_KEY = "web_csrf"
CSRF_FIELD = "csrf_token"

#: The French wording of the problem codes a person may meet on the screens. Codes not listed show the core's
#: own detail.
MESSAGES_FR: Mapping[str, str] = {
    "required": "Ce champ est obligatoire.",
    "invalid_date": "Saisissez une date valide (jour, mois, année).",
    "under_age": "Un certificat n'est délivré qu'aux personnes majeures.",
    "applicant_under_age": "Un certificat n'est délivré qu'aux personnes majeures.",
    "invalid_birth_date": "La date de naissance ne peut pas être dans le futur.",
    "invalid_mobile_number": "Saisissez un numéro de mobile français (06 ou 07) ou international (+33…).",
    "mobile_number_required": "Votre numéro de téléphone mobile est obligatoire.",
    "document_not_in_colour": "Le document doit être en couleur : cette image est en noir et blanc.",
    "unsupported_document_format": "Le document doit être au format .jpg, .jpeg, .png ou .pdf.",
    "document_unreadable": "Ce fichier est illisible : chargez une photo nette de la pièce.",
    "document_missing": "Chargez cette face de la pièce d'identité.",
    "document_empty": "Ce fichier est vide.",
    "document_too_large": "Ce fichier est trop volumineux.",
    "document_too_small": "L'image est trop petite pour être lisible.",
    "document_too_many_pixels": "L'image est trop grande.",
    "document_unexpected": "Ce type de pièce n'a pas de verso : ne chargez que le recto.",
    "invalid_document_type": "Choisissez un type de pièce d'identité dans la liste.",
    "invalid_document_number": "Saisissez le numéro de la pièce (4 à 30 lettres et chiffres).",
    "document_reported_stolen": "Cette pièce d'identité est signalée volée.",
    "agreement_not_accepted": "Cochez la case pour accepter l'accord de souscription.",
    "otp_invalid": "Le code saisi est incorrect.",
    "otp_malformed": "Le code SMS comporte six chiffres.",
    "otp_expired": "Ce code a expiré : demandez-en un nouveau.",
    "otp_locked": "Trop de codes erronés : ce code est bloqué, demandez-en un nouveau.",
    "otp_resend_too_soon": "Un code vient d'être envoyé : patientez avant d'en demander un autre.",
    "terms_not_accepted": (
        "Cochez « lu et accepté » pour les CGU et la politique de protection des données de chaque cabinet."
    ),
    "csrf_token_invalid": ("Ce formulaire a expiré ou ne vient pas de cette page : rechargez la page et recommencez."),
}


@dataclass(frozen=True)
class FieldProblem:
    code: str
    message: str


@dataclass
class Problem:
    """A core error as a page shows it: a summary (``code``, ``message``) and the errors of each field."""

    code: str
    status: int
    message: str
    fields: dict[str, FieldProblem] = field(default_factory=dict)

    @classmethod
    def of(cls, exc: MockError, *, rename: Mapping[str, str] | None = None) -> Problem:
        """The page's view of ``exc``; ``rename`` maps the core's field names to the form's."""
        fields: dict[str, FieldProblem] = {}
        for error in exc.errors:
            name = str(error.get("field", ""))
            name = (rename or {}).get(name, name)
            code = str(error.get("code", exc.code))
            if name and name not in fields:
                message = french(code, str(error.get("detail", "")))
                fields[name] = FieldProblem(code, with_attempts(message, exc) if code == exc.code else message)
        return cls(exc.code, exc.status, with_attempts(french(exc.code, exc.detail), exc), fields)

    def on(self, name: str) -> FieldProblem | None:
        return self.fields.get(name)


def install(app: Flask) -> None:
    """Serve the pages' common parts on ``app``, and keep the session cookie (the anti-CSRF token's home) away
    from scripts and other sites. Every adapter that shows a page calls it; a second call does nothing."""
    if chrome.name in app.blueprints:
        return
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.register_blueprint(chrome)


def french(code: str, fallback: str) -> str:
    return MESSAGES_FR.get(code, fallback)


def with_attempts(message: str, exc: MockError) -> str:
    """``message``, then how many tries remain when the error says (a wrong SMS code's ``attempts_remaining``)."""
    remaining = exc.extra.get("attempts_remaining")
    if not isinstance(remaining, int) or isinstance(remaining, bool):
        return message
    return f"{message.rstrip('.')} : il vous reste {remaining} essai{'s' if remaining > 1 else ''}."


def csrf_token() -> str:
    """This browser's anti-CSRF token, made on first use and kept in the (signed, HttpOnly) session cookie."""
    token = session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str):
        token = session[CSRF_SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def csrf_valid() -> bool:
    expected = session.get(CSRF_SESSION_KEY)
    submitted = request.form.get(CSRF_FIELD, "")
    return isinstance(expected, str) and bool(submitted) and hmac.compare_digest(expected, submitted)


CSRF_PROBLEM = Problem("csrf_token_invalid", 400, MESSAGES_FR["csrf_token_invalid"])


def page(template: str, status: int = 200, **context: Any) -> Response:
    """An HTML page, never cached, never framed, loading nothing but the mock's own stylesheet."""
    body = render_template(template, csrf_token=csrf_token(), **context)
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def error_page(problem: Problem, *, title: str = "Une erreur est survenue") -> Response:
    return page("web/error.html", problem.status, problem=problem, title=title)


_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """An HTML id made from any text."""
    return _SLUG.sub("-", text.lower()).strip("-")


def protect(blueprint: Blueprint) -> None:
    """Refuse a form posted without this browser's anti-CSRF token; show core errors as a page, not JSON.

    Called once per blueprint, at import (a blueprint cannot be changed once an app registered it).
    """

    @blueprint.before_request
    def _csrf() -> Answer | None:
        if request.method == "POST" and not csrf_valid():
            return error_page(CSRF_PROBLEM, title="Formulaire refusé")
        return None

    @blueprint.errorhandler(MockError)
    def _error(exc: MockError) -> Answer:
        return error_page(Problem.of(exc))
