"""The registration: the six steps of the platform's user guide, one method each, and :meth:`Registration.enroll`.

Steps 1, 2 (hand-off) and 6 are the platform's (``/platform/api/v1``, the person's SSO token); steps 2 to 5 are
the trust provider's, reached through :meth:`Registration.trust` with the session the hand-off gives. ``enroll``
walks every remaining step from wherever the account stands, so it resumes after a crash or a restart: the
server's state says what comes next, nothing is kept on the client's side.

Each method that makes one POST takes a keyword-only ``idempotency_key`` (by default the SDK makes one per call, and
its retries repeat it): give your own to make a retry of your own, later, answer what the first call answered
instead of acting twice. ``enroll`` makes many calls, each with its own key.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from jesign_sdk._errors import (
    JesignError,
    OtpExpiredError,
    OtpInvalidError,
    OtpLockedError,
    RateLimitError,
)
from jesign_sdk._json import field, json_object
from jesign_sdk._models import (
    CertificateRequest,
    CodeSent,
    Handoff,
    IssuedCertificate,
    RegistrationStatus,
    TrustRegistration,
)
from jesign_sdk.otp import OtpRequest, OtpSource
from jesign_sdk.resources.trust import HttpTrustBackend, IdentityDocument, TrustBackend

if TYPE_CHECKING:
    from jesign_sdk._client import Client

__all__ = ["EnrollmentError", "Registration", "RegistrationRejectedError"]

_TRUST_STEPS = ("submit_identity", "upload_identity_document", "sign_subscription_agreement")

#: Called before each step of :meth:`Registration.enroll` with (state, next action): the platform's, or during the
#: trust provider's steps 3 and 4 the trust provider's registration's (the same names, see ``enroll``).
StepCallback = Callable[[str, str | None], None]


class EnrollmentError(JesignError):
    """``enroll`` cannot go on: the review did not come in time, or the codes kept failing."""


class RegistrationRejectedError(EnrollmentError):
    """The trust provider rejected the identity; ``reason`` is its code. A new request may be started."""

    def __init__(self, message: str, reason: str | None) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Applicant:
    """What ``enroll`` needs from the person: the mobile number, birth date and identity document.

    Each is needed only by its step (1, 2 and 3): when resuming past a step, leave its field out.
    """

    mobile_number: str | None = None
    birth_date: date | None = None
    document: IdentityDocument | None = None

    def need(self, name: str, step: str) -> Any:
        value = getattr(self, name)
        if value is None:
            raise EnrollmentError(f"the applicant's {name} is needed for the next step ({step})")
        return value


class Registration:
    """``client.registration``."""

    def __init__(self, client: Client) -> None:
        self._client = client

    # -- the platform (steps 1, 2 hand-off, 6) --------------------------------------------------------------------

    def status(self) -> RegistrationStatus:
        return self._client.platform("GET", "/registration", parse=RegistrationStatus.from_json)

    def confirm_profile(self, *, mobile_number: str, idempotency_key: str | None = None) -> RegistrationStatus:
        """Step 1: confirm the SSO's profile and give the mobile number (mandatory)."""
        body = {"mobile_number": mobile_number}
        return self._client.platform(
            "POST",
            "/registration/profile",
            json=body,
            parse=RegistrationStatus.from_json,
            idempotency_key=idempotency_key,
        )

    def start_certificate_request(
        self,
        *,
        level: str = "qcpnqscd",
        redirect_url: str | None = None,
        language: str = "fr",
        idempotency_key: str | None = None,
    ) -> Handoff:
        """Step 2 hand-off. While a request is under way before its agreement, this resumes it (fresh session)."""
        body: dict[str, Any] = {"level": level, "language": language}
        if redirect_url:
            body["redirect_url"] = redirect_url
        return self._client.platform(
            "POST",
            "/registration/certificate-request",
            json=body,
            parse=Handoff.from_json,
            idempotency_key=idempotency_key,
        )

    def browser_handoff(
        self,
        *,
        redirect_url: str,
        level: str = "qcpnqscd",
        language: str = "fr",
        idempotency_key: str | None = None,
    ) -> str:
        """Step 2 hand-off for a browser: the URL of the trust provider's pages to open for the person.

        The pages walk the person through steps 2 to 5 (identity, identity document, subscription agreement signed
        with an SMS code, review) and then send the browser to ``redirect_url`` with ``registration_id`` and
        ``outcome`` (``certificate_issued``, ``rejected`` or ``cancelled``) in the query; give that URL to
        :meth:`handoff_outcome`. Step 1 (:meth:`confirm_profile`) comes first. While a request is under way, this
        resumes it with a fresh session (an older URL stops working).
        """
        if not redirect_url.startswith(("https://", "http://")):
            raise ValueError("redirect_url must be an http(s) URL")
        started = self.start_certificate_request(
            level=level, redirect_url=redirect_url, language=language, idempotency_key=idempotency_key
        )
        return started.url

    def handoff_outcome(self, return_url: str) -> RegistrationStatus:
        """Where the person stands after the browser came back from the trust provider to ``return_url``.

        The answer comes from the platform, not from the query string, which anyone can forge; the query's
        ``registration_id`` must name the person's current certificate request, else :class:`EnrollmentError`.
        """
        query = parse_qs(urlsplit(return_url).query)
        returned = next(iter(query.get("registration_id", [])), None)
        if not returned:
            raise EnrollmentError("the return URL names no registration_id")
        status = self.status()
        if status.certificate_request is None or status.certificate_request.id != returned:
            raise EnrollmentError(f"registration {returned} is not this person's current certificate request")
        return status

    def trust(self, handoff: Handoff) -> TrustBackend:
        """The trust provider's steps for the registration the hand-off created."""
        return HttpTrustBackend(self._client.requestor, handoff.id, handoff.session_token)

    def terms(self) -> dict[str, Any]:
        return self._client.platform("GET", "/terms", parse=_terms)

    def accept_terms(self, firm_ids: Iterable[str], *, idempotency_key: str | None = None) -> RegistrationStatus:
        """Step 6: accept the current CGU and data-protection policy for these firms; opens the service."""
        terms = self.terms()
        body = {
            "firms": [{"firm_id": f, "cgu_accepted": True, "privacy_policy_accepted": True} for f in firm_ids],
            "cgu_version": terms["cgu"]["version"],
            "privacy_policy_version": terms["privacy_policy"]["version"],
        }
        return self._client.platform(
            "POST",
            "/registration/terms",
            json=body,
            parse=RegistrationStatus.from_json,
            idempotency_key=idempotency_key,
        )

    # -- leaving the walk, correcting its result -----------------------------------------------------------------

    def request_to_cancel(self) -> CertificateRequest:
        """The certificate request :meth:`cancel_certificate_request` would cancel: the one under way, before its
        subscription agreement is signed. None is: :class:`EnrollmentError` saying why."""
        status = self.status()
        request = status.certificate_request
        if request is None or status.next_action not in _TRUST_STEPS:
            where = f"the request {request.id} is {request.state}" if request else "there is no certificate request"
            raise EnrollmentError(
                f"no certificate request to cancel: {where} (a request is cancelled before its agreement is signed)"
            )
        return request

    def cancel_certificate_request(self, *, idempotency_key: str | None = None) -> TrustRegistration:
        """Cancel the certificate request under way, which the trust provider allows until the subscription
        agreement is signed (its pages' "Annuler la demande"): the platform's hand-off resumes the request with a
        fresh session, which cancels it. Answers the trust provider's registration, ``cancelled``; a new request
        may be started afterwards.

        With no request under way before its agreement (:meth:`request_to_cancel`), :class:`EnrollmentError`, and
        nothing is asked of the trust provider (no request is opened to be cancelled).
        """
        request = self.request_to_cancel()
        handoff = self.start_certificate_request(level=request.level)
        return self.trust(handoff).cancel(idempotency_key=idempotency_key)

    def report_certificate_error(
        self, detail: str, handoff: Handoff, *, idempotency_key: str | None = None
    ) -> IssuedCertificate:
        """Report an error in the certificate (step 5, "CERTIFICATE ACCEPTANCE"): within the window after its
        issuance (``error_report_deadline``), the trust provider revokes it and issues a new one; answers the new
        certificate. After the window the certificate is presumed accepted and the report is refused
        (``error_report_window_closed``).

        Only the registration's session may report: ``handoff`` is the last hand-off of the registration that issued
        the certificate (``enroll(on_handoff=...)`` gives it). Another registration's: :class:`EnrollmentError`,
        before anything is sent.
        """
        current = self.certificate()
        if current.registration_id is not None and current.registration_id != handoff.id:
            raise EnrollmentError(
                f"the hand-off is registration {handoff.id}'s; the certificate {current.id} is registration "
                f"{current.registration_id}'s"
            )
        self.trust(handoff).report_error(detail, idempotency_key=idempotency_key)
        return self.certificate()

    # -- the certificate's end: the holder's revocation (a new certificate: enroll again) ---------------------------

    #: The reasons a holder may give for revoking (RFC 5280 CRLReason; the others are the CA's own).
    REVOCATION_REASONS = (
        "unspecified",
        "key_compromise",
        "affiliation_changed",
        "superseded",
        "cessation_of_operation",
    )

    def send_revocation_code(self, *, idempotency_key: str | None = None) -> CodeSent:
        """The first half of a revocation: an SMS code to the certificate's mobile (shown masked)."""
        return self._client.platform(
            "POST",
            "/registration/certificate/revocation-code",
            parse=CodeSent.from_json,
            idempotency_key=idempotency_key,
        )

    def revoke_certificate(
        self, otp_source: OtpSource, *, reason: str = "unspecified", max_code_attempts: int = 3
    ) -> IssuedCertificate:
        """Revoke the person's certificate: a code is sent, read from ``otp_source`` (asked again after a wrong
        one, up to ``max_code_attempts``), then the revocation with ``reason`` (:attr:`REVOCATION_REASONS`). It is
        on the CRL and in OCSP at once; the personal credential signs nothing more. Answers the certificate, now
        ``revoked``; :meth:`enroll` then walks a new request (the trust provider checks the identity again).

        A reason outside the list is refused here (``ValueError``) before any code is sent.
        """
        if reason not in self.REVOCATION_REASONS:
            raise ValueError(f"reason is one of {', '.join(self.REVOCATION_REASONS)}, not {reason!r}")
        sent = self.send_revocation_code()
        current = self.certificate()
        first = request = OtpRequest(current.id, sent.phone_masked, sent.phone_last_digits)
        attempts_left = max(1, max_code_attempts)
        while True:
            code = otp_source.get_code(request)
            try:
                return self._client.platform(
                    "POST",
                    "/registration/certificate/revocation",
                    json={"otp": code, "reason": reason},
                    parse=IssuedCertificate.from_json,
                )
            except OtpInvalidError as exc:
                attempts_left -= 1
                if attempts_left == 0:
                    raise
                server_left = exc.attempts_remaining
                left = attempts_left if server_left is None else min(attempts_left, server_left)
                request = replace(first, refused=exc.code or "otp_invalid", attempts_remaining=left)

    # -- the whole walk -------------------------------------------------------------------------------------------

    def enroll(
        self,
        applicant: Applicant,
        otp_source: OtpSource,
        *,
        level: str = "qcpnqscd",
        firm_ids: Iterable[str] | None = None,
        review_timeout: float = 300.0,
        poll_interval: float = 2.0,
        on_step: StepCallback | None = None,
        on_handoff: Callable[[Handoff], None] | None = None,
        max_code_attempts: int = 3,
    ) -> IssuedCertificate:
        """Walk every remaining step, from wherever the account stands, to ``active``; return the certificate.

        ``firm_ids`` are the firms whose terms to accept at step 6 (default: every firm of the person).
        The walk asks the platform where the person stands (``GET /registration``) only when the last step's answer
        did not say it: steps 1 and 6 answer the platform's status, and the trust provider's steps answer its
        registration, whose next action names the next of its steps; so a walk from the first login asks three times.
        ``on_handoff`` is given each hand-off the walk opens: keep the last one to report an error in the
        certificate later (:meth:`report_certificate_error`), which only the registration's session may do.
        """
        backend: TrustBackend | None = None
        review_deadline: float | None = None
        # Where the person stands is asked of the platform only when no step's answer said it: step 1 and step 6
        # answer the platform's status, and while the trust provider's steps go on, its answers name the next one.
        known: RegistrationStatus | None = None
        at_trust: TrustRegistration | None = None
        while True:
            status: RegistrationStatus | None = None
            action: str | None
            if at_trust is not None and at_trust.next_action in _TRUST_STEPS:
                state, action = at_trust.state, at_trust.next_action
            else:
                status = known or self.status()
                state, action = status.state, status.next_action
            known, at_trust = None, None
            if on_step is not None:
                on_step(state, action)
            if state == "active":
                return self.certificate()
            if status is not None and state == "rejected":
                reason = status.certificate_request.rejection_reason if status.certificate_request else None
                raise RegistrationRejectedError(f"the trust provider rejected the identity ({reason})", reason)
            if action == "confirm_profile":
                known = self.confirm_profile(mobile_number=applicant.need("mobile_number", action))
            elif action == "start_certificate_request" or (action in _TRUST_STEPS and backend is None):
                # A new request, or the one under way resumed with a fresh session (after a restart).
                handoff = self.start_certificate_request(level=level)
                if on_handoff is not None:
                    on_handoff(handoff)
                backend = self.trust(handoff)
            elif action == "submit_identity":
                assert backend is not None
                at_trust = backend.submit_identity(
                    birth_date=applicant.need("birth_date", action), accept_terms=True, accept_privacy_policy=True
                )
            elif action == "upload_identity_document":
                assert backend is not None
                at_trust = backend.upload_document(applicant.need("document", action))
            elif action == "sign_subscription_agreement":
                assert backend is not None
                at_trust = self._sign_agreement(backend, otp_source, max_code_attempts)
            elif action == "wait_for_review":
                review_deadline = review_deadline or time.monotonic() + review_timeout
                if time.monotonic() >= review_deadline:
                    raise EnrollmentError(f"no review decision within {review_timeout:g} seconds")
                time.sleep(poll_interval)
            elif action == "accept_terms":
                firms = (status or self.status()).profile.firms
                known = self.accept_terms(list(firm_ids) if firm_ids is not None else [f.id for f in firms])
            else:
                raise EnrollmentError(f"cannot go on from state {state} (next action {action})")

    def _sign_agreement(self, backend: TrustBackend, otp_source: OtpSource, max_attempts: int) -> TrustRegistration:
        """Step 4: consent (the SMS goes out), then the code, asked for again after a refusal, up to
        ``max_attempts`` codes in all: a wrong code again (it stays valid, nothing is sent), an expired or locked one
        once a new code is sent. Each new ask tells the source why (:class:`OtpRequest`)."""
        agreement = backend.agreement()
        try:
            sent = backend.consent(agreement)
            last_digits, masked = sent.phone_last_digits, sent.phone_masked
        except RateLimitError:
            # A code was sent moments ago (a previous run stopped here): it is still the one to type.
            view = backend.get()
            masked = view.phone_masked
            last_digits = masked[-4:]
        first = request = OtpRequest(backend.registration_id, masked, last_digits)
        attempts_left = max(1, max_attempts)
        while True:
            try:
                return backend.sign(otp_source.get_code(request))
            except (OtpInvalidError, OtpExpiredError, OtpLockedError) as exc:
                attempts_left -= 1
                if attempts_left == 0:
                    raise EnrollmentError(f"the SMS code was refused {max_attempts} times ({exc.code})") from exc
                if isinstance(exc, OtpInvalidError):
                    server_left = exc.attempts_remaining
                    left = attempts_left if server_left is None else min(attempts_left, server_left)
                    request = replace(first, refused=exc.code or "otp_invalid", attempts_remaining=left)
                else:
                    self._wait_and_resend(backend)
                    refused = exc.code or ("otp_expired" if isinstance(exc, OtpExpiredError) else "otp_locked")
                    request = replace(first, refused=refused, resent=True, attempts_remaining=attempts_left)

    @staticmethod
    def _wait_and_resend(backend: TrustBackend) -> None:
        while True:
            try:
                backend.resend_code()
                return
            except RateLimitError as exc:
                time.sleep(min(exc.retry_after or 1.0, 60.0))

    # -- the result ----------------------------------------------------------------------------------------------

    def certificate(self) -> IssuedCertificate:
        """The person's current certificate (the same as ``client.certificates.current()``)."""
        return self._client.certificates.current()


def _terms(body: Any) -> dict[str, Any]:
    """The current terms, once each names its version (what :meth:`Registration.accept_terms` sends back)."""
    for name in ("cgu", "privacy_policy"):
        field(field(body, name, dict), "version", str)
    return json_object(body)
