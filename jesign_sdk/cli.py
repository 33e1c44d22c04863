"""``jesign``: the integrator's command line, a thin shell over :class:`~jesign_sdk.Client`.

::

    jesign login                    # the browser, back on a one-shot listener on 127.0.0.1
    jesign login --login-hint marie.dupont   # a mock's seeded account, at once, no browser
    jesign whoami
    jesign enroll                   # the six steps of the user guide; asks for what it lacks
    jesign registration cancel      # the request under way, before its agreement is signed
    jesign certificate show --pem
    jesign certificate report-error "Mon prénom est mal orthographié"   # within 48 h: revoked, reissued
    jesign delegation give --firm frm_ecma --to usr_luc_martin --kind seal
    jesign sign contrat.pdf annexe.pdf -o signés/ --level B-LT   # one SMS for the batch
    jesign sign lettre.pdf --box 50,50,250,110 --page -1 --text "Lu et approuvé"   # a visible signature
    jesign seal facture.pdf --firm frm_ecma
    jesign validate contrat.pdf
    jesign validate --offline --trust root.pem contrat.pdf   # nothing fetched
    jesign logout

The login is kept per base URL in the token store (:mod:`jesign_sdk._tokens`), so each command resumes it; an
access token refreshed on the way is saved back, and so is the trust provider's session of the registration
``enroll`` walks (reporting an error in the certificate needs it). Human output goes to stdout, progress and
prompts to stderr, where a progress bar is cleared before any message or prompt; ``--json`` puts one JSON document
on stdout instead (errors too: ``{"error": {...}}``). An SMS code is asked for with what happened, in the guide's
words: "Un code vous a été envoyé par SMS au 5678" (the number as the platform shows it, its last four digits),
or, after a wrong code, "Le code saisi est incorrect : il vous reste 2 essais".

Exit codes: 0 done; 1 the API refused (or any other failure); 2 wrong usage (click's: an unknown option or
command, a value of the wrong form, options that do not go together, ``--login-hint`` a server does not take);
3 not logged in or the authentication failed; 4 the server could not be reached.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import webbrowser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn, cast

import click
from click.core import ParameterSource

from jesign_sdk._client import Client
from jesign_sdk._clock import ServerClock, system_clock
from jesign_sdk._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    IdTokenError,
    JesignError,
    OtpUnavailableError,
    TrustRootError,
)
from jesign_sdk._loopback import LOGIN_TIMEOUT, LoginError, loopback_listener
from jesign_sdk._models import IssuedCertificate, RegistrationStatus, Tokens
from jesign_sdk._tokens import TokenStore
from jesign_sdk.otp import MockOutboxOtpSource, OtpRequest, OtpSource, PromptOtpSource
from jesign_sdk.resources.delegations import DELEGATION_KINDS
from jesign_sdk.resources.registration import Applicant, EnrollmentError, RegistrationRejectedError
from jesign_sdk.resources.trust import DocumentSide, IdentityDocument
from jesign_sdk.signing import LEVELS, CscProvider, LocalKeyProvider, PdfRefusedError, SigningProgress, SigningProvider
from jesign_sdk.signing.documents import VisibleSignature, write_atomically

__all__ = ["main"]

EXIT_OK, EXIT_API_ERROR, EXIT_USAGE, EXIT_AUTHENTICATION, EXIT_CONNECTION = 0, 1, 2, 3, 4
DEFAULT_BASE_URL = "http://127.0.0.1:8400"

#: Wire codes that mean "log in again" although the status is not 401 (a refresh token refused, say).
_LOGIN_AGAIN_CODES = frozenset({"invalid_grant", "invalid_token", "login_required", "not_logged_in"})

#: The guide's steps, by the platform's next action: (number, French title).
_STEPS: dict[str | None, tuple[str, str]] = {
    "confirm_profile": ("1/6", "Pré-validation des informations Comptexpert"),
    "start_certificate_request": ("2/6", "Création du certificat : ouverture de la demande"),
    "submit_identity": ("2/6", "Création du certificat : identité"),
    "upload_identity_document": ("3/6", "Pièce d'identité recto / verso"),
    "sign_subscription_agreement": ("4/6", "Signature de l'accord de souscription"),
    "wait_for_review": ("5/6", "Validation de votre certificat (revue en cours)"),
    "accept_terms": ("6/6", "Validation des CGU et RGPD"),
    None: ("6/6", "Enregistrement terminé : le service est ouvert"),
}
#: The order of the actions, to tell which inputs the remaining steps still need.
_ORDER = (
    "confirm_profile",
    "start_certificate_request",
    "submit_identity",
    "upload_identity_document",
    "sign_subscription_agreement",
    "wait_for_review",
    "accept_terms",
)


# -- the invocation's state --------------------------------------------------------------------------------------


class _Terminal:
    """stderr, where the person reads what happens and answers the prompts.

    A progress bar drawn in place on a terminal (click's, on one line rewritten with a carriage return) is cleared
    before anything else is written there, so that no message or prompt runs into it; it is drawn again, below,
    at its next step. Elsewhere (a pipe, a file) click writes each stage's label on a line of its own, and nothing
    needs clearing.
    """

    def __init__(self) -> None:
        self.bar: Any = None  # click's ProgressBar while one is shown

    def clear(self) -> None:
        bar = self.bar
        if bar is not None and bar.max_width:  # set once the bar was drawn in place
            bar.file.write("\r" + " " * bar.max_width + "\r")
            bar.file.flush()

    def say(self, message: str) -> None:
        self.clear()
        click.echo(message, err=True)

    def ask(self, text: str) -> str:
        """A line typed by the person after ``text`` (which may span lines: the last one is the prompt)."""
        self.clear()
        return str(click.prompt(text, prompt_suffix="", err=True))


@dataclass
class _Session:
    """The global options, the token store, and the client of this invocation (made on first use)."""

    base_url: str
    client_id: str
    client_secret: str | None = dataclasses.field(repr=False)
    json_output: bool
    store: TokenStore
    terminal: _Terminal = dataclasses.field(default_factory=_Terminal)
    _client: Client | None = None
    _saved: Tokens | None = None

    def client(self, *, logged_in: bool = True, offline: bool = False) -> Client:
        if self._client is None:
            self._saved = self.store.load(self.base_url)
            # The mock's clock, which tests move; this machine's for any other server, and offline (nothing is asked).
            clock = system_clock if offline else ServerClock(self.base_url, mock_only=True)
            self._client = Client(
                self.base_url,
                client_id=self.client_id,
                client_secret=self.client_secret,
                tokens=self._saved,
                clock=clock,
            )
        if logged_in and self._client.tokens is None:
            raise AuthenticationError(
                f"not logged in to {self.base_url}: run `jesign login`", status_code=401, code="not_logged_in"
            )
        return self._client

    def remember(self, tokens: Tokens) -> None:
        self.store.save(self.base_url, tokens)
        self._saved = tokens

    def forget(self) -> bool:
        self._saved = None
        return self.store.delete(self.base_url)

    def persist(self) -> None:
        """Save tokens the SDK refreshed during the command."""
        if self._client is not None and self._client.tokens is not None and self._client.tokens != self._saved:
            self.remember(self._client.tokens)

    def emit(self, data: Any, text: str) -> None:
        click.echo(json.dumps(_plain(data), indent=2, ensure_ascii=False) if self.json_output else text)


# -- errors ------------------------------------------------------------------------------------------------------


def exit_code(error: JesignError) -> int:
    if isinstance(error, APIConnectionError):
        return EXIT_CONNECTION
    if isinstance(error, AuthenticationError | IdTokenError | LoginError):
        return EXIT_AUTHENTICATION
    if isinstance(error, APIStatusError) and error.code in _LOGIN_AGAIN_CODES:
        return EXIT_AUTHENTICATION
    return EXIT_API_ERROR


def _error_code(error: JesignError) -> str:
    if isinstance(error, APIStatusError) and error.code:
        return error.code
    if isinstance(error, RegistrationRejectedError):
        return "registration_rejected"
    if isinstance(error, PdfRefusedError):
        return error.code
    kinds: list[tuple[type[JesignError], str]] = [
        (APITimeoutError, "timeout"),
        (APIConnectionError, "connection_error"),
        (APIResponseValidationError, "invalid_response"),
        (IdTokenError, "id_token_invalid"),
        (OtpUnavailableError, "otp_unavailable"),
        (EnrollmentError, "enrollment_failed"),
        (LoginError, "login_timeout"),
        (TrustRootError, "trust_root_invalid"),
        (TrustSessionUnknownError, "trust_session_unknown"),
    ]
    return next((code for kind, code in kinds if isinstance(error, kind)), "error")


def _report(error: JesignError, *, json_output: bool) -> NoReturn:
    code = exit_code(error)
    line = " ".join(str(error).split())  # one line, whatever the server or the network library said
    if code == EXIT_AUTHENTICATION and "jesign login" not in line:
        line += " (run `jesign login`)"
    click.echo(f"Error: {line}", err=True)
    if json_output:
        status = request_id = retry_after = None
        message = str(error)
        if isinstance(error, APIStatusError | APIResponseValidationError):
            status, request_id, message = error.status_code, error.request_id, error.message
        if isinstance(error, APIStatusError):
            retry_after = error.retry_after
        problem: dict[str, Any] = {
            "code": _error_code(error),
            "message": message,
            "status": status,
            "request_id": request_id,
            "retry_after": retry_after,
        }
        if isinstance(error, PdfRefusedError):  # which file of the batch
            problem.update(message=error.message, file=error.source, document=error.document)
        click.echo(json.dumps({"error": problem}, indent=2, ensure_ascii=False))
    raise click.exceptions.Exit(code)


class _Group(click.Group):
    """The top group: catches every SDK error of every command, and saves refreshed tokens."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except JesignError as error:
            json_output = ctx.obj.json_output if isinstance(ctx.obj, _Session) else bool(ctx.params.get("json_output"))
            _report(error, json_output=json_output)
        finally:
            if isinstance(ctx.obj, _Session):
                ctx.obj.persist()


# -- the group ---------------------------------------------------------------------------------------------------


@click.group(cls=_Group)
@click.version_option(package_name="jesign")
@click.option(
    "--base-url",
    envvar="JESIGN_BASE_URL",
    default=DEFAULT_BASE_URL,
    show_default=True,
    show_envvar=True,
    help="The deployment: one origin serving every party (the mock's layout).",
)
@click.option("--client-id", default="jesign-cli", show_default=True, help="The OIDC client registered with the SSO.")
@click.option(
    "--client-secret",
    envvar="JESIGN_CLIENT_SECRET",
    show_envvar=True,
    help="The client's secret, for a confidential client (none: a public client, PKCE only).",
)
@click.option("--json", "json_output", is_flag=True, help="Print one JSON document on stdout (errors too).")
@click.option(
    "--config-dir",
    envvar="JESIGN_CONFIG_DIR",
    show_envvar=True,
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: click.get_app_dir("jesign"),
    show_default="the user's config folder",
    help="Where the logins are kept (tokens.json, readable by you only).",
)
@click.pass_context
def main(
    ctx: click.Context,
    base_url: str,
    client_id: str,
    client_secret: str | None,
    json_output: bool,
    config_dir: Path,
) -> None:
    """Sign and seal PDFs through jesignexpert.com."""
    ctx.obj = _Session(base_url.rstrip("/"), client_id, client_secret, json_output, TokenStore(config_dir))


# -- login, logout, whoami ---------------------------------------------------------------------------------------


@main.command()
@click.option(
    "--login-hint",
    metavar="LOGIN",
    help="Log this seeded account in at once, without a browser (a jesign mock with its control plane on).",
)
@click.option("--no-browser", is_flag=True, help="Only print the URL to open.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=LOGIN_TIMEOUT,
    show_default=True,
    help="Seconds to wait for the browser to come back.",
)
@click.pass_context
def login(ctx: click.Context, login_hint: str | None, no_browser: bool, timeout: float) -> None:
    """Log in through the SSO: in the browser (code + PKCE, back on a loopback listener), or, with --login-hint, a
    mock's seeded account at once, with no browser (for scripts and headless machines)."""
    session: _Session = ctx.obj
    client = session.client(logged_in=False)
    if login_hint is not None:
        browser_options = [
            f"--{name.replace('_', '-')}"
            for name in ("no_browser", "timeout")
            if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE
        ]
        if browser_options:
            raise click.UsageError(f"--login-hint opens no browser: leave out {' and '.join(browser_options)}")
        tokens = _login_with_hint(session, client, login_hint)
    else:
        tokens = _login_in_browser(session, client, no_browser=no_browser, timeout=timeout)
    client.tokens = tokens
    session.remember(tokens)
    claims = tokens.claims
    who = {
        "base_url": session.base_url,
        "sub": claims.get("sub"),
        "given_name": claims.get("given_name"),
        "family_name": claims.get("family_name"),
        "email": claims.get("email"),
        "expires_at": tokens.expires_at,
    }
    name = " ".join(str(claims[k]) for k in ("given_name", "family_name") if claims.get(k)) or claims.get("sub")
    session.emit(who, f"Logged in to {session.base_url} as {name} <{claims.get('email', '?')}>.")


def _login_with_hint(session: _Session, client: Client, login_hint: str) -> Tokens:
    """The mock's non-interactive login; a server that does not log the account in at once is a usage error."""
    try:
        return client.login_with_hint(login_hint)
    except APIStatusError as error:
        if error.code != "login_hint_refused":
            raise
        raise click.UsageError(
            f"{session.base_url} did not log {login_hint!r} in without a browser (it answered "
            f"{error.status_code}): --login-hint needs a jesign mock with its control plane on, and one of its "
            "seeded logins; elsewhere, log in in the browser (jesign login, without --login-hint)"
        ) from error


def _login_in_browser(session: _Session, client: Client, *, no_browser: bool, timeout: float) -> Tokens:
    terminal = session.terminal
    with loopback_listener() as listener:
        request = client.sso.authorization_url(f"http://127.0.0.1:{listener.port}/callback")
        terminal.say(f"Open this address to log in:\n\n    {request.url}\n")
        if not no_browser and not webbrowser.open(request.url):
            terminal.say("(no browser could be opened: copy the address above)")
        terminal.say(f"Waiting for the browser on http://127.0.0.1:{listener.port}/callback ...")
        if not listener.received.wait(timeout) or listener.callback is None:
            raise LoginError(f"no answer from the browser within {timeout:g} seconds")
        callback = listener.callback
    return client.sso.exchange_code(request, callback)


@main.command()
@click.pass_obj
def logout(session: _Session) -> None:
    """Log out at the SSO (its tokens are revoked) and forget the saved login."""
    client = session.client(logged_in=False)
    if client.tokens is None:
        session.emit({"base_url": session.base_url, "logged_out": False}, f"Not logged in to {session.base_url}.")
        return
    try:
        client.logout()
    finally:
        session.forget()  # even when the SSO could not be told: the login is no longer kept here
    session.emit({"base_url": session.base_url, "logged_out": True}, f"Logged out of {session.base_url}.")


@main.command()
@click.pass_obj
def whoami(session: _Session) -> None:
    """Who is logged in: name, e-mail, firms (role, delegations, service open) and registration state."""
    me = session.client().me()
    lines = [
        f"{me.given_name} {me.family_name} <{me.email}>",
        f"  id:               {me.id}",
        f"  identity source:  {me.identity_source}",
        f"  mobile:           {me.mobile_number or '-'}",
        f"  registration:     {me.registration_state}",
        "  firms:" if me.firms else "  firms:            -",
    ]
    for firm in me.firms:
        siren = f", SIREN {firm.siren}" if firm.siren else ""
        lines.append(f"    {firm.name} ({firm.id}{siren})")
        delegations = ", ".join(firm.delegations) or "-"
        lines.append(
            f"      role: {firm.role or '-'}; delegations: {delegations}; service open: {_yes_no(firm.service_open)}"
        )
    session.emit(me, "\n".join(lines))


# -- registration ------------------------------------------------------------------------------------------------


@main.group()
def registration() -> None:
    """The registration: where you stand in the six steps of the guide."""


@registration.command("status")
@click.pass_obj
def registration_status(session: _Session) -> None:
    """State, next action, profile and certificate request."""
    status = session.client().registration.status()
    session.emit(status, _describe_status(status))


def _describe_status(status: RegistrationStatus) -> str:
    profile = status.profile
    number, title = _STEPS.get(status.next_action, ("?", ""))
    mobile = profile.mobile_number or "-"
    lines = [
        f"State:        {status.state}",
        f"Next action:  {status.next_action or '-'}" + (f"  [{number}] {title}" if status.next_action else ""),
        f"Profile:      {profile.given_name} {profile.family_name} <{profile.email}>",
        f"Mobile:       {mobile} ({'confirmed' if profile.mobile_number_confirmed else 'not confirmed'})",
        "Firms:        " + (", ".join(f"{f.name} ({f.id})" for f in profile.firms) or "-"),
    ]
    request = status.certificate_request
    if request is None:
        lines.append("Certificate request: none")
    else:
        lines.append(f"Certificate request: {request.id}, level {request.level}, state {request.state}")
        if request.certificate_id:
            lines.append(f"  certificate:  {request.certificate_id}")
        if request.rejection_reason:
            lines.append(f"  rejected:     {request.rejection_reason}")
    lines.append("Active firms: " + (", ".join(status.active_firms) or "-"))
    return "\n".join(lines)


@registration.command("cancel")
@click.option("--yes", is_flag=True, help="Cancel without asking for confirmation.")
@click.pass_obj
def registration_cancel(session: _Session, yes: bool) -> None:
    """Cancel your certificate request, as long as its subscription agreement is not signed; `jesign enroll`
    starts a new one."""
    client = session.client()
    if not yes:
        request = client.registration.request_to_cancel()
        click.confirm(f"Cancel the certificate request {request.id} ({request.state})?", abort=True, err=True)
    cancelled = client.registration.cancel_certificate_request()
    session.emit(cancelled, f"Certificate request {cancelled.id} cancelled ({cancelled.state}).")


class _StepDisplay:
    """``on_step`` of :meth:`~jesign_sdk.resources.registration.Registration.enroll`: one line per step."""

    def __init__(self, terminal: _Terminal) -> None:
        self._terminal = terminal
        self._last: object = object()

    def __call__(self, state: str, action: str | None) -> None:
        if action == self._last:  # the same step again: the review is being polled
            return
        self._last = action
        number, title = _STEPS.get(action, ("?", f"{action} ({state})"))
        self._terminal.say(f"[{number}] {title}")


class _TerminalOtpSource:
    """The command line's :class:`~jesign_sdk.OtpSource`: tells what happened, in the guide's words
    (:attr:`OtpRequest.notice <jesign_sdk.OtpRequest.notice>`: the code sent "au 5678", or the code typed was
    wrong and how many tries are left, or a new code sent), then asks for the code at the prompt, or reads it from
    ``outbox`` (the mock's, ``--otp-from-mock-outbox``)."""

    def __init__(self, terminal: _Terminal, outbox: OtpSource | None = None) -> None:
        self._terminal = terminal
        self._outbox = outbox

    def get_code(self, request: OtpRequest) -> str:
        if self._outbox is None:
            return PromptOtpSource(self._terminal.ask).get_code(request)
        if request.notice:
            self._terminal.say(request.notice)
        return self._outbox.get_code(request)


class _ProfileOutboxOtpSource:
    """The mock's outbox, for the mobile number the profile holds when the code is sent (confirmed at step 1)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def get_code(self, request: OtpRequest) -> str:
        mobile = self._client.registration.status().profile.mobile_number
        if not mobile:
            raise OtpUnavailableError("the profile has no mobile number to read the mock's outbox for")
        return MockOutboxOtpSource(self._client.requestor, mobile).get_code(request)


_FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
_DATE = click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"])


@main.command()
@click.option("--mobile", help="Mobile number (French mobile or E.164), when the profile needs one.")
@click.option("--birth-date", type=_DATE, metavar="DATE", help="Birth date, YYYY-MM-DD or DD/MM/YYYY.")
@click.option(
    "--document-type",
    metavar="KIND:CCC",
    help="id_card:<alpha-3> (France, the EU, the EEA, Switzerland), passport:<alpha-3>, residence_permit:fra, "
    "driving_licence:fra.",
)
@click.option("--front", type=_FILE, help="The document's front side (JPEG, PNG or PDF, in colour).")
@click.option("--back", type=_FILE, help="The document's back side (not for a passport).")
@click.option(
    "--document-number", help="The document's number (read from the MRZ when it is given, or shown on a side)."
)
@click.option("--mrz-file", type=_FILE, help="A text file holding the document's MRZ lines.")
@click.option("--level", type=click.Choice(["lcp", "qcp", "qcpnqscd"]), default="qcpnqscd", show_default=True)
@click.option("--firm", "firms", multiple=True, metavar="FIRM_ID", help="A firm to open the service to (default: all).")
@click.option(
    "--otp-from-mock-outbox", is_flag=True, help="Read the SMS code from the mock's outbox (automation; mock only)."
)
@click.option(
    "--review-timeout",
    type=click.FloatRange(min=0),
    default=300.0,
    show_default=True,
    help="Seconds to wait for the identity review's decision.",
)
@click.pass_obj
def enroll(
    session: _Session,
    mobile: str | None,
    birth_date: datetime | None,
    document_type: str | None,
    front: Path | None,
    back: Path | None,
    document_number: str | None,
    mrz_file: Path | None,
    level: str,
    firms: tuple[str, ...],
    otp_from_mock_outbox: bool,
    review_timeout: float,
) -> None:
    """Walk the registration's remaining steps to an active account; ask for what is missing."""
    client = session.client()
    status = client.registration.status()
    # Ask only for what the remaining steps need: the server's state says which those are.
    position = _ORDER.index(status.next_action) if status.next_action in _ORDER else len(_ORDER)
    if status.next_action == "confirm_profile" and mobile is None:
        mobile = status.profile.mobile_number or click.prompt("Mobile number", err=True)
    born: date | None = birth_date.date() if birth_date else None
    if born is None and position <= _ORDER.index("submit_identity"):
        answer: datetime = click.prompt("Birth date (YYYY-MM-DD)", type=_DATE, err=True)
        born = answer.date()
    document: IdentityDocument | None = None
    if position <= _ORDER.index("upload_identity_document"):
        document = _identity_document(document_type, front, back, document_number, mrz_file)
    applicant = Applicant(
        mobile_number=mobile or status.profile.mobile_number,
        birth_date=born,
        document=document,
    )
    outbox = _ProfileOutboxOtpSource(client) if otp_from_mock_outbox else None
    sub = str(client.tokens.claims.get("sub", "")) if client.tokens else ""
    certificate = client.registration.enroll(
        applicant,
        _TerminalOtpSource(session.terminal, outbox),
        level=level,
        firm_ids=list(firms) or None,
        review_timeout=review_timeout,
        on_step=_StepDisplay(session.terminal),
        # Kept for `jesign certificate report-error`: only the registration's session may report an error.
        on_handoff=lambda handoff: session.store.save_handoff(session.base_url, sub, handoff),
    )
    session.emit(certificate, _describe_certificate(certificate))


#: What ``enroll`` is given once the document is uploaded: the SDK's Applicant wants one, the walk will not use it.


def _identity_document(
    document_type: str | None,
    front: Path | None,
    back: Path | None,
    document_number: str | None,
    mrz_file: Path | None,
) -> IdentityDocument:
    asked = False
    if document_type is None:
        document_type, asked = click.prompt("Document type", default="id_card:fra", err=True), True
    if front is None:
        front, asked = click.prompt("Front side (file)", type=_FILE, err=True), True
    has_back = not document_type.strip().lower().startswith("passport:")
    if has_back and back is None:
        back, asked = click.prompt("Back side (file)", type=_FILE, err=True), True
    if asked and mrz_file is None and document_number is None:
        text = click.prompt("MRZ file (optional, Enter to skip)", default="", show_default=False, err=True)
        mrz_file = _FILE.convert(text, None, None) if text else None
    if asked and document_number is None and mrz_file is None:
        # Optional where the provider reads the MRZ off a side (the mock reads it where a side carries it as text).
        text = click.prompt("Document number (Enter to skip if a side shows the MRZ)", default="", err=True)
        document_number = text.strip() or None
    assert front is not None
    return IdentityDocument(
        document_type=document_type.strip(),
        front=DocumentSide.load(front),
        back=DocumentSide.load(back) if back is not None else None,
        document_number=document_number,
        mrz=mrz_file.read_text(encoding="utf-8").strip() if mrz_file is not None else None,
    )


# -- the certificate ---------------------------------------------------------------------------------------------


@main.group()
def certificate() -> None:
    """Your signing certificate."""


@certificate.command("show")
@click.option("--pem", is_flag=True, help="Print the certificate in PEM instead of the summary.")
@click.option("--chain", is_flag=True, help="With --pem: the issuing CAs too.")
@click.pass_obj
def certificate_show(session: _Session, pem: bool, chain: bool) -> None:
    """A summary of your certificate (subject, level, serial, validity, status, acceptance deadline)."""
    issued = session.client().registration.certificate()
    if pem:
        pems = [issued.certificate_pem, *(issued.chain_pem if chain else ())]
        text = "".join(p if p.endswith("\n") else p + "\n" for p in pems).rstrip("\n")
        session.emit({"certificate_pem": issued.certificate_pem, "chain_pem": issued.chain_pem}, text)
        return
    session.emit(issued, _describe_certificate(issued))


def _describe_certificate(issued: IssuedCertificate) -> str:
    return "\n".join(
        [
            f"Certificate:  {issued.id}",
            f"Subject:      {issued.subject}",
            f"Level:        {issued.level}",
            f"Serial:       {issued.serial_number}",
            f"Valid:        {issued.not_before.isoformat()} to {issued.not_after.isoformat()}",
            f"Status:       {issued.status}",
            f"Acceptance:   {_acceptance(issued)}",
        ]
    )


def _acceptance(issued: IssuedCertificate) -> str:
    deadline = issued.error_report_deadline.isoformat()
    if issued.acceptance == "awaiting_acceptance":
        return f"awaiting_acceptance: check it; report an error until {deadline} (jesign certificate report-error)"
    return f"{issued.acceptance} (errors could be reported until {deadline})"


class TrustSessionUnknownError(JesignError):
    """This machine keeps no session of the registration that issued the certificate."""


@certificate.command("report-error")
@click.argument("detail")
@click.option("--yes", is_flag=True, help="Report without asking for confirmation.")
@click.pass_obj
def certificate_report_error(session: _Session, detail: str, yes: bool) -> None:
    """Report an error in your certificate, DETAIL saying what is wrong: the trust provider revokes it and issues
    a new one. Possible within 48 hours of its issuance (the subscription agreement's "certificate acceptance");
    then the certificate is presumed accepted.

    Only the session of the registration may report: the one `jesign enroll` opened, kept on this machine.
    """
    if not detail.strip():
        raise click.BadParameter("say what is wrong in the certificate", param_hint="'DETAIL'")
    client = session.client()
    sub = str(client.tokens.claims.get("sub", "")) if client.tokens else ""
    handoff = session.store.load_handoff(session.base_url, sub)
    if handoff is None:
        raise TrustSessionUnknownError(
            "this machine keeps no session of your registration (it was walked elsewhere, or before this version of "
            "jesign): report the error from where the registration was walked"
        )
    current = client.registration.certificate()
    if not yes:
        click.confirm(
            f"The trust provider will revoke the certificate {current.id} ({current.subject}) and issue a new one. "
            "Report the error?",
            abort=True,
            err=True,
        )
    issued = client.registration.report_certificate_error(detail, handoff)
    session.emit(
        {"revoked": current.id, "certificate": issued},
        f"Certificate {current.id} revoked; a new one was issued.\n{_describe_certificate(issued)}",
    )


@certificate.command("revoke")
@click.option(
    "--reason",
    type=click.Choice(["unspecified", "key_compromise", "affiliation_changed", "superseded", "cessation_of_operation"]),
    default="unspecified",
    show_default=True,
    help="Why (RFC 5280 CRLReason).",
)
@click.option("--yes", is_flag=True, help="Revoke without asking for confirmation.")
@click.option(
    "--otp-from-mock-outbox", is_flag=True, help="Read the SMS code from the mock's outbox (automation; mock only)."
)
@click.pass_obj
def certificate_revoke(session: _Session, reason: str, yes: bool, otp_from_mock_outbox: bool) -> None:
    """Revoke your certificate, confirmed with an SMS code: it signs nothing more, at once (CRL and OCSP). A new
    one is requested with `jesign enroll`, which walks the trust provider's steps again."""
    client = session.client()
    current = client.registration.certificate()
    if not yes:
        click.confirm(
            f"Revoke the certificate {current.id} ({current.subject})? It cannot be undone.", abort=True, err=True
        )
    outbox = _ProfileOutboxOtpSource(client) if otp_from_mock_outbox else None
    revoked = client.registration.revoke_certificate(_TerminalOtpSource(session.terminal, outbox), reason=reason)
    session.emit(
        {"certificate": revoked},
        f"Certificate {revoked.id} revoked ({reason}). Request a new one with: jesign enroll",
    )


# -- delegations ------------------------------------------------------------------------------------------------


@main.group()
def delegation() -> None:
    """A firm's delegations (sign, seal, prepare), which its chartered accountants give to its collaborators."""


_FIRM = click.option("--firm", "firm_id", required=True, metavar="FIRM_ID", help="The firm (see jesign whoami).")


@delegation.command("list")
@_FIRM
@click.pass_obj
def delegation_list(session: _Session, firm_id: str) -> None:
    """The delegations given in the firm (its chartered accountants only)."""
    delegations = session.client().delegations.list(firm_id)
    lines = [
        f"{d.id}  {d.kind:<7}  to {d.user_id}, given by {d.granted_by} on {d.granted_at.isoformat()}"
        for d in delegations
    ]
    session.emit({"firm_id": firm_id, "delegations": delegations}, "\n".join(lines) or f"No delegation in {firm_id}.")


@delegation.command("give")
@_FIRM
@click.option("--to", "user_id", required=True, metavar="USER_ID", help="The collaborator (their id, usr_...).")
@click.option("--kind", type=click.Choice(DELEGATION_KINDS), required=True, help="What they may do for the firm.")
@click.pass_obj
def delegation_give(session: _Session, firm_id: str, user_id: str, kind: str) -> None:
    """Give a collaborator of the firm a delegation: to sign, to seal, or to prepare documents."""
    given = session.client().delegations.grant(firm_id, user_id=user_id, kind=kind)
    session.emit(given, f"Delegation {given.id}: {given.user_id} may {given.kind} for {given.firm_id}.")


@delegation.command("withdraw")
@_FIRM
@click.argument("delegation_id")
@click.pass_obj
def delegation_withdraw(session: _Session, firm_id: str, delegation_id: str) -> None:
    """Withdraw a delegation (DELEGATION_ID, from jesign delegation list): its use stops at once."""
    session.client().delegations.revoke(firm_id, delegation_id)
    session.emit(
        {"firm_id": firm_id, "delegation_id": delegation_id, "withdrawn": True},
        f"Delegation {delegation_id} withdrawn from {firm_id}.",
    )


# -- signing, sealing, validation --------------------------------------------------------------------------------

_PDF = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
_LEVEL = click.Choice(LEVELS)


def _outputs(files: tuple[Path, ...], output: Path | None, suffix: str) -> list[Path]:
    """Where each signed file goes: beside its source (``name-signed.pdf``), into a folder, or to one file."""
    if output is None:
        return [f.with_name(f"{f.stem}-{suffix}{f.suffix or '.pdf'}") for f in files]
    if output.is_dir():
        return [output / f.name for f in files]
    if len(files) > 1:
        raise click.UsageError(f"{output} is not a folder: several files need a folder to go to")
    return [output]


class _ProgressBar:
    """``on_progress`` of a batch: click's progress bar on stderr (one step per document and stage)."""

    def __init__(self, bar: Any) -> None:
        self._bar = bar
        self._done = 0

    def __call__(self, progress: SigningProgress) -> None:
        self._bar.label = {"digest": "Digests", "authorize": "Authorization", "sign": "Signatures"}.get(
            progress.stage, "Documents"
        )
        self._bar.update(progress.done - self._done)
        self._done = progress.done


@contextmanager
def _progress_bar(terminal: _Terminal, count: int) -> Iterator[_ProgressBar | None]:
    """A bar for a batch (none for one document), known to ``terminal`` while shown; finished (its line ended)
    when the batch ends or fails, before anything else is written."""
    if count < 2:
        yield None
        return
    with click.progressbar(length=2 * count + 2, label="Digests", file=sys.stderr) as bar:
        terminal.bar = bar
        try:
            yield _ProgressBar(bar)
        finally:
            terminal.bar = None


#: A visible signature's box: X1,Y1,X2,Y2.
Box = tuple[float, float, float, float]


def _box(ctx: click.Context, param: click.Parameter, value: str | None) -> Box | None:
    """``--box X1,Y1,X2,Y2``: four numbers, in points, the second corner above and to the right of the first."""
    if value is None:
        return None
    try:
        numbers = tuple(float(part) for part in value.split(","))
    except ValueError:
        numbers = ()
    if len(numbers) != 4 or not all(math.isfinite(n) and n >= 0 for n in numbers):
        raise click.BadParameter(f"{value!r} is not X1,Y1,X2,Y2: four numbers of points, none negative", ctx, param)
    x1, y1, x2, y2 = numbers
    if x2 <= x1 or y2 <= y1:
        raise click.BadParameter(f"{value!r} is an empty box: X2 must be greater than X1, and Y2 than Y1", ctx, param)
    return x1, y1, x2, y2


def _visible_options(default_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--box``, ``--page``, ``--text`` and ``--font``: the visible signature of ``sign`` and ``seal``."""
    options = [
        click.option(
            "--box",
            metavar="X1,Y1,X2,Y2",
            callback=_box,
            help="Show the signature in this box: X1,Y1,X2,Y2 in points from the page's lower left corner, as the "
            "reader sees the page (e.g. 50,50,250,110). Without it the signature is invisible.",
        ),
        click.option(
            "--page",
            type=int,
            default=1,
            show_default=True,
            help="With --box: the page, 1 the first, -1 the last, -2 the one before...",
        ),
        click.option(
            "--text",
            "visible_text",
            default=default_text,
            show_default=True,
            help="With --box: the text shown, followed by the signer's name and the time.",
        ),
        click.option(
            "--font",
            type=_FILE,
            help="With --box: a TrueType or OpenType font for the text (default: the SDK's own).",
        ),
    ]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def _visible(ctx: click.Context, box: Box | None, page: int, text: str, font: Path | None) -> VisibleSignature | None:
    if box is None:
        given = [
            f"--{name.replace('visible_', '')}"
            for name in ("page", "visible_text", "font")
            if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE
        ]
        if given:
            raise click.UsageError(f"{', '.join(given)} place a visible signature: give its --box too")
        return None
    if page == 0:
        raise click.BadParameter("pages count from 1 (the first); -1 is the last", ctx, param_hint="'--page'")
    if not text.strip():
        raise click.BadParameter("the visible signature's text is empty", ctx, param_hint="'--text'")
    return VisibleSignature(page - 1 if page > 0 else page, box, text, font)


def _emit_signed(session: _Session, files: tuple[Path, ...], written: list[Path], level: str, verb: str) -> None:
    data = {
        "level": level,
        "documents": [{"input": str(f), "output": str(w)} for f, w in zip(files, written, strict=True)],
    }
    session.emit(data, "\n".join(f"{verb} {f} -> {w} (PAdES {level})" for f, w in zip(files, written, strict=True)))


@main.command()
@click.argument("files", nargs=-1, required=True, type=_PDF)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="A folder for the signed files, or the signed file (one input). Default: beside each, NAME-signed.pdf.",
)
@click.option("--level", type=_LEVEL, default="B-T", show_default=True, help="PAdES baseline level.")
@click.option("--reason", help="Why you sign (shown by PDF readers).")
@click.option("--location", help="Where you sign.")
@click.option(
    "--otp-from-mock-outbox", is_flag=True, help="Read the SMS code from the mock's outbox (automation; mock only)."
)
@click.option(
    "--csc-url",
    metavar="URL",
    help="Sign through another CSC provider (1.0.4 or 2.0): its API's base URL, where info and credentials/... are.",
)
@click.option("--credential", "credential_id", metavar="ID", help="With --csc-url: the credential to sign with.")
@click.option(
    "--token",
    envvar="JESIGN_CSC_TOKEN",
    show_envvar=True,
    help="With --csc-url: the bearer token its calls carry.",
)
@click.option(
    "--csc-version",
    type=click.Choice(["auto", "1", "2"]),
    default="auto",
    show_default=True,
    help="With --csc-url: the CSC version, or auto (read from its info).",
)
@click.option(
    "--pkcs12",
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
    metavar="FILE",
    help="Sign with the key of a PKCS#12 file, here (no provider).",
)
@click.option(
    "--pkcs12-password",
    envvar="JESIGN_PKCS12_PASSWORD",
    show_envvar=True,
    help="With --pkcs12: the file's password.",
)
@click.option("--tsa-url", metavar="URL", help="With --csc-url or --pkcs12: an RFC 3161 TSA for B-T and up.")
@click.option(
    "--trust",
    "trust_roots",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
    metavar="ROOT",
    help="With --csc-url or --pkcs12: a trust root file for B-LT and B-LTA (repeat for several).",
)
@_visible_options("Signé électroniquement par")
@click.pass_context
def sign(
    ctx: click.Context,
    files: tuple[Path, ...],
    output: Path | None,
    level: str,
    reason: str | None,
    location: str | None,
    otp_from_mock_outbox: bool,
    csc_url: str | None,
    credential_id: str | None,
    token: str | None,
    csc_version: str,
    pkcs12: Path | None,
    pkcs12_password: str | None,
    tsa_url: str | None,
    trust_roots: tuple[Path, ...],
    box: tuple[float, float, float, float] | None,
    page: int,
    visible_text: str,
    font: Path | None,
) -> None:
    """Sign PDFs: with your jesign certificate (one SMS code authorizes the whole batch), or through another CSC
    provider (--csc-url), or with a PKCS#12 file (--pkcs12). The documents stay here. With --box, the signature
    shows on a page of each."""
    session: _Session = ctx.obj
    targets = _outputs(files, output, "signed")
    provider = _other_provider(
        csc_url, credential_id, token, csc_version, pkcs12, pkcs12_password, tsa_url, trust_roots
    )
    visible = _visible(ctx, box, page, visible_text, font)
    outbox: OtpSource | None = None
    if provider is None:
        client = session.client()
        provider = client.signing
        outbox = _ProfileOutboxOtpSource(client) if otp_from_mock_outbox else None
    elif otp_from_mock_outbox:
        raise click.UsageError(
            "--otp-from-mock-outbox reads the code of your jesign account: not with --csc-url or --pkcs12"
        )
    with _progress_bar(session.terminal, len(files)) as bar:
        written = provider.sign_pdfs(
            list(files),
            targets,
            otp_source=_TerminalOtpSource(session.terminal, outbox),
            level=cast(Any, level),
            visible=visible,
            reason=reason,
            location=location,
            credential_id=credential_id,
            on_progress=bar,
        )
    _emit_signed(session, files, written, level, "Signed")


def _other_provider(
    csc_url: str | None,
    credential_id: str | None,
    token: str | None,
    version: str,
    pkcs12: Path | None,
    password: str | None,
    tsa_url: str | None,
    trust_roots: tuple[Path, ...],
) -> SigningProvider | None:
    """The provider ``sign`` goes through when it is not the jesign account: a CSC provider, or a PKCS#12 file."""
    if csc_url and pkcs12:
        raise click.UsageError("--csc-url or --pkcs12, not both")
    roots = list(trust_roots) or None
    if csc_url:
        return CscProvider(
            csc_url, token=token, version=version, credential_id=credential_id, tsa_url=tsa_url, trust_roots=roots
        )
    if pkcs12:
        return LocalKeyProvider.from_pkcs12(pkcs12, password=password, tsa_url=tsa_url, trust_roots=roots)
    if credential_id or token or tsa_url or trust_roots or password:
        raise click.UsageError(
            "--credential, --token, --tsa-url, --trust and --pkcs12-password go with --csc-url or --pkcs12"
        )
    return None


@main.command()
@click.argument("files", nargs=-1, required=True, type=_PDF)
@click.option("--firm", "firm_id", required=True, metavar="FIRM_ID", help="The firm whose seal to apply.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="A folder for the sealed files, or the sealed file (one input). Default: beside each, NAME-sealed.pdf.",
)
@click.option("--level", type=_LEVEL, default="B-T", show_default=True, help="PAdES baseline level.")
@click.option("--reason", help="Why the firm seals (shown by PDF readers).")
@_visible_options("Scellé électroniquement par")
@click.pass_context
def seal(
    ctx: click.Context,
    files: tuple[Path, ...],
    firm_id: str,
    output: Path | None,
    level: str,
    reason: str | None,
    box: tuple[float, float, float, float] | None,
    page: int,
    visible_text: str,
    font: Path | None,
) -> None:
    """Seal PDFs with a firm's seal certificate (its accountants and seal delegates only; no SMS code). With --box,
    the seal shows on a page of each."""
    session: _Session = ctx.obj
    visible = _visible(ctx, box, page, visible_text, font)
    client = session.client()
    targets = _outputs(files, output, "sealed")
    with _progress_bar(session.terminal, len(files)) as bar:
        sealed = client.signing.seal_pdfs(
            list(files), firm_id=firm_id, level=cast(Any, level), visible=visible, reason=reason, on_progress=bar
        )
    written = [write_atomically(target, data) for target, data in zip(targets, sealed, strict=True)]
    _emit_signed(session, files, written, level, "Sealed")


@main.command()
@click.argument("file", type=_PDF)
@click.option(
    "--offline",
    is_flag=True,
    help="Fetch nothing (no revocation data, no root): revocation from the document's own DSS; needs --trust.",
)
@click.option(
    "--trust",
    "trust_roots",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
    metavar="ROOT",
    help="A trust root certificate file, PEM or DER (repeat for several). Default: the provider's root, fetched.",
)
@click.pass_obj
def validate(session: _Session, file: Path, offline: bool, trust_roots: tuple[Path, ...]) -> None:
    """Validate a signed PDF: one report per signature, with its ETSI indication and why.

    Exits 0 when the file has signatures and every one is TOTAL_PASSED, 1 otherwise.
    """
    if offline and not trust_roots:
        raise click.UsageError("--offline fetches nothing, not even the provider's root: name it with --trust ROOT")
    reports = session.client(logged_in=False, offline=offline).signing.validate_pdf(
        file, trust_roots=list(trust_roots) or None, allow_fetching=not offline
    )
    text = "\n\n".join(str(r) for r in reports) or f"{file}: no signature."
    session.emit({"file": str(file), "signatures": reports}, text)
    if not reports or not all(r.ok for r in reports):
        raise click.exceptions.Exit(EXIT_API_ERROR)


# -- helpers -----------------------------------------------------------------------------------------------------


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _plain(value: Any) -> Any:
    """JSON-ready: the SDK's models as objects (without ``raw``), dates in ISO 8601."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "raw"}
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
