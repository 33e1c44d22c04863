"""Harnesses: who does the human parts of a run (read an SMS, log in, decide a review, wait for time to pass).

A check never reads an SMS or decides a review itself: it asks ``ctx.harness``. Each harness announces its
:attr:`Harness.capabilities`; a check that ``needs`` a capability the harness lacks is SKIPPED with a reason.

=================  ===================================================================================
capability         what the harness can do
=================  ===================================================================================
``login``          log a test account in at the SSO (:meth:`Harness.authorize`)
``otp``            read the SMS code last sent to a phone number (:meth:`Harness.otp`)
``review``         have the identity review approve or reject a registration (:meth:`Harness.decide_review`)
``clock``          read the provider's clock (:meth:`Harness.now`) and move it forward (:meth:`Harness.advance_clock`)
``reset``          bring the deployment back to its seed (:meth:`Harness.reset`), done at each plan's start
``revoke``         revoke a certificate out of band: by the provider's id for it (:meth:`Harness.revoke_certificate`),
                   or by the certificate itself, for one a client holds but knows no id of, such as a firm's seal
                   read from CSC ``credentials/info`` (:meth:`Harness.revoke_issued`)
``outbox``         read the e-mails and SMS the provider sent (:meth:`Harness.emails`, :meth:`Harness.sms`)
``operators``      issue an API key at the trust provider for another operator (:meth:`Harness.operator_key`)
=================  ===================================================================================

:class:`MockHarness` does everything through the mock's control plane (``/_mock``). :class:`InteractiveHarness`
asks the operator at the terminal (type the SMS code, log in in a browser and paste the URL it lands on, ask the
provider's staff to decide the review): it cannot move a real provider's clock nor reset it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from cryptography import x509

from conformance.http import RecordingClient


class HarnessError(RuntimeError):
    """The harness could not do what a check asked (the check ends in ERROR)."""


class Harness:
    """The interface. Subclasses override what they can do and list it in :attr:`capabilities`."""

    name = "abstract"
    capabilities: frozenset[str] = frozenset()
    #: The target's parties the harness itself talks to: a target without them cannot be run with this harness.
    parties: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self._http: RecordingClient | None = None

    def bind(self, http: RecordingClient) -> None:
        """Called by the runner: the harness talks through the run's recording client."""
        self._http = http

    @property
    def http(self) -> RecordingClient:
        if self._http is None:
            raise HarnessError("the harness is not bound to a run")
        return self._http

    def reset(self) -> None:
        raise HarnessError(f"the {self.name} harness cannot reset the deployment")

    def finish(self) -> None:
        """Called once the run is over: put back what the harness changed for the run's sake."""

    def after_check(self) -> None:
        """Called by the runner after each check (the mock harness puts its clock back where it was)."""

    def authorize(self, authorization_url: str, redirect_uri: str, login: str) -> str:
        """Log ``login`` in through ``authorization_url``; answer the URL the SSO redirected to (code and state)."""
        raise HarnessError(f"the {self.name} harness cannot log in")

    def authorize_signature(self, authorization_url: str, redirect_uri: str, login: str, phone_number: str) -> str:
        """Log ``login`` in through a signature authorization page (a CSC ``oauth2/authorize`` with
        ``scope=credential``) and enter the SMS code sent to ``phone_number`` where the page asks for one; answer the
        URL it redirected to. By default, as :meth:`authorize` (a person at a browser enters the code)."""
        return self.authorize(authorization_url, redirect_uri, login)

    def otp(self, phone_number: str) -> str:
        """The SMS code last sent to ``phone_number``."""
        raise HarnessError(f"the {self.name} harness cannot read SMS codes")

    def expect_review(self, *, approve: bool, reason: str | None = None, delay_seconds: int = 0) -> None:
        """Called before the agreement is signed, when the next review must end a given way (an automatic review
        may decide at once), and, where the harness can, be decided ``delay_seconds`` later than it would. Nothing
        to do by default."""

    def decide_review(self, registration_id: str, *, approve: bool, reason: str | None = None) -> None:
        """Have the review of a registration (pending validation) approve it, or reject it with ``reason``."""
        raise HarnessError(f"the {self.name} harness cannot decide reviews")

    def now(self) -> datetime | None:
        """The provider's clock, if the harness can read it (else None: the checks read the answers' Date header)."""
        return None

    def advance_clock(self, seconds: float) -> None:
        raise HarnessError(f"the {self.name} harness cannot move the clock")

    def revoke_certificate(self, certificate_id: str, reason: str = "unspecified") -> None:
        raise HarnessError(f"the {self.name} harness cannot revoke certificates")

    def operator_key(self, owner: str) -> str:
        """A new API key at the trust provider for another operator, ``owner`` (capability ``operators``)."""
        raise HarnessError(f"the {self.name} harness cannot issue API keys")

    def revoke_issued(self, certificate: x509.Certificate, reason: str = "unspecified") -> None:
        """Revoke ``certificate`` (known by its issuer and serial number, as a client holds it) out of band."""
        raise HarnessError(f"the {self.name} harness cannot revoke certificates")

    def emails(self, recipient: str) -> list[dict[str, Any]]:
        raise HarnessError(f"the {self.name} harness cannot read e-mails")

    def sms(self, phone_number: str) -> list[dict[str, Any]]:
        """Every SMS sent to ``phone_number`` so far."""
        raise HarnessError(f"the {self.name} harness cannot read the SMS sent")


class MockHarness(Harness):
    """Drives the jesign mock through its control plane (the target's ``control`` party)."""

    name = "mock"
    capabilities = frozenset({"login", "otp", "review", "clock", "reset", "revoke", "outbox", "operators"})
    parties = frozenset({"control"})

    def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, "control", path, **kwargs)
        if response.status_code >= 400:
            raise HarnessError(f"control plane {method} {path} answered {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else None

    def __init__(self, *, breakages: tuple[str, ...] = ()) -> None:
        super().__init__()
        self._moved = False
        #: Rule breakages to turn on after each reset: how the repository proves that each one is caught.
        self.breakages = tuple(breakages)
        self._found_on: list[str] | None = None

    def reset(self) -> None:
        """Back to the seed, the clock back to the wall clock (frozen), no fault.

        The rule breakages that were on stay on (a reset is for a clean state, not for healing the provider under
        test: a QA engineer who broke a rule through the control plane must see its check fail), plus
        :attr:`breakages`.
        """
        if self._found_on is None:  # what the control plane had switched on before this run
            listed = self._control("GET", "/breakages") or {}
            configured = set(listed.get("configured", []))
            self._found_on = [b for b in listed.get("active", []) if b not in configured]
        self._control("POST", "/reset")  # which also clears the fault policy (docs/control-plane.md)
        self._set_clock_to_wall()
        wanted = sorted({*self._found_on, *self.breakages})
        if wanted:
            self._control("PUT", "/breakages", json={"active": wanted})

    def finish(self) -> None:
        """Turn off the breakages this harness turned on, leaving on those it found on."""
        if self.breakages and self._found_on is not None:
            self._control("PUT", "/breakages", json={"active": self._found_on})

    def _set_clock_to_wall(self) -> None:
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        self._control("POST", "/clock", json={"now": now, "frozen": True})
        self._moved = False

    def after_check(self) -> None:
        """A check that moved the clock leaves it at the wall clock again: tokens and certificates made by the
        next checks must verify against real time."""
        if self._moved:
            self._set_clock_to_wall()

    def authorize(self, authorization_url: str, redirect_uri: str, login: str) -> str:
        separator = "&" if "?" in authorization_url else "?"
        url = f"{authorization_url}{separator}{urlencode({'login_hint': login})}"
        response = self.http.request("GET", "sso", url)
        location = response.headers.get("Location", "")
        if response.status_code not in (302, 303) or not location.startswith(redirect_uri):
            raise HarnessError(f"the mock's SSO did not log {login} in (answer {response.status_code})")
        return location

    def authorize_signature(self, authorization_url: str, redirect_uri: str, login: str, phone_number: str) -> str:
        """As :meth:`authorize`; where the mock's page asks for the SMS code, it is read from the outbox and posted
        with the page's own form (its anti-CSRF token, to the URL of the page)."""
        separator = "&" if "?" in authorization_url else "?"
        url = f"{authorization_url}{separator}{urlencode({'login_hint': login})}"
        response = self.http.request("GET", "csc", url)
        if response.status_code == 200:
            found = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
            if found is None:
                raise HarnessError("the mock's signature authorization page has no form")
            form = {"csrf_token": found.group(1), "otp": self.otp(phone_number)}
            response = self.http.request("POST", "csc", url, data=form)
        location = response.headers.get("Location", "")
        if response.status_code not in (302, 303) or not location.startswith(redirect_uri):
            raise HarnessError(f"the mock did not authorize the signature for {login} (answer {response.status_code})")
        return location

    def otp(self, phone_number: str) -> str:
        found = self._control("GET", "/outbox/otp", params={"phone_number": phone_number})
        code = str(found["otp"])
        self.http.add_secret(code)
        return code

    def expect_review(self, *, approve: bool, reason: str | None = None, delay_seconds: int = 0) -> None:
        """The mock's automatic review approves at once: a rejection, or a delay, is queued as a one-shot scenario."""
        if delay_seconds > 0:
            self._control("POST", "/scenarios", json={"kind": "review_delay", "value": int(delay_seconds)})
        if not approve:
            self._control(
                "POST", "/scenarios", json={"kind": "review_reject", "target": reason or "document_unreadable"}
            )

    def decide_review(self, registration_id: str, *, approve: bool, reason: str | None = None) -> None:
        pending = {r["id"] for r in self._control("GET", "/reviews")["data"]}
        if registration_id not in pending:
            return  # the mock's automatic review already decided it
        if approve:
            self._control("POST", f"/reviews/{registration_id}/approve")
        else:
            self._control(
                "POST", f"/reviews/{registration_id}/reject", json={"reason": reason or "document_unreadable"}
            )

    def now(self) -> datetime:
        return datetime.fromisoformat(str(self._control("GET", "/clock")["now"]))

    def advance_clock(self, seconds: float) -> None:
        self._control("POST", "/clock/advance", json={"seconds": seconds})
        self._moved = True

    def revoke_certificate(self, certificate_id: str, reason: str = "unspecified") -> None:
        self._control("POST", f"/certificates/{certificate_id}/revoke", json={"reason": reason})

    def operator_key(self, owner: str) -> str:
        key = str(self._control("POST", "/api-keys", json={"owner": owner, "name": "conformance"})["key"])
        self.http.add_secret(key)
        return key

    def revoke_issued(self, certificate: x509.Certificate, reason: str = "unspecified") -> None:
        """The mock's id for ``certificate`` is found in its list of issued certificates, by serial number (random,
        159 bits: one certificate) and subject."""
        serial = format(certificate.serial_number, "x")
        subject = certificate.subject.rfc4514_string()
        listed = self._control("GET", "/certificates")["data"]
        found = [c["id"] for c in listed if c["serial_number"] == serial and c["subject"] == subject]
        if len(found) != 1:
            raise HarnessError(f"the mock lists {len(found)} certificates of serial {serial} for {subject}")
        self.revoke_certificate(str(found[0]), reason)

    def emails(self, recipient: str) -> list[dict[str, Any]]:
        return self._outbox("email", recipient)

    def sms(self, phone_number: str) -> list[dict[str, Any]]:
        return self._outbox("sms", phone_number)

    def _outbox(self, channel: str, recipient: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._control(
            "GET", "/outbox", params={"channel": channel, "recipient": recipient}
        )["data"]
        return found


class InteractiveHarness(Harness):
    """Asks the operator at the terminal. ``ask`` and ``say`` default to :func:`input` and :func:`print`."""

    name = "interactive"
    capabilities = frozenset({"login", "otp", "review"})

    def __init__(
        self,
        *,
        ask: Callable[[str], str] = input,
        say: Callable[[str], None] = print,
        review_poll: Callable[[str], bool] | None = None,
    ) -> None:
        super().__init__()
        self.ask = ask
        self.say = say
        self.review_poll = review_poll

    def authorize(self, authorization_url: str, redirect_uri: str, login: str) -> str:
        self.say(f"\nLog in as {login} in a browser:\n  {authorization_url}\n")
        answer = self.ask(f"Paste the URL the browser lands on (it starts with {redirect_uri}): ").strip()
        if not answer.startswith(redirect_uri):
            raise HarnessError("the pasted URL is not the redirect URI")
        return answer

    def otp(self, phone_number: str) -> str:
        code = self.ask(f"Type the SMS code just sent to {phone_number}: ").strip()
        self.http.add_secret(code)
        return code

    def decide_review(self, registration_id: str, *, approve: bool, reason: str | None = None) -> None:
        verb = "APPROVE" if approve else f"REJECT (reason: {reason})"
        self.say(f"\nAsk the provider's review to {verb} the registration {registration_id}.")
        if self.review_poll is not None:
            deadline = time.monotonic() + 24 * 3600
            while time.monotonic() < deadline and not self.review_poll(registration_id):
                time.sleep(10)
            return
        self.ask("Press Enter once it is decided. ")
