"""Remote signing (the Cloud Signature Consortium API's core): credentials, authorization, hash signing.

The document never reaches the mock: callers send hashes, the mock signs them with the key it holds.

- A **personal credential** is the person's signing certificate from the registration (its id is the
  certificate's). It is SCAL2: ``authorize`` needs the SMS code sent by ``send_otp`` *and* the hashes to sign;
  the Signature Activation Data (SAD) it answers signs exactly those hashes, once each, before it expires.
- A **seal credential** is a firm's seal certificate (``seal_<firm id>``), issued the first time it is needed. It is
  SCAL1: no code, a SAD for a number of signatures; only the firm's chartered accountants and the holders of its
  seal delegation may use it, and every use is logged.

A revoked certificate signs nothing. Every refusal changes nothing, except that a wrong SMS code counts as an
attempt (see :mod:`mock_provider.core.otp`).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from sqlalchemy.orm import Session

from mock_provider.core import accounts, events, otp, outbox
from mock_provider.core.base import TrustService, token_digest
from mock_provider.core.csc_answers import CscCredentialInfo, SadAnswer
from mock_provider.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from mock_provider.core.ids import new_id
from mock_provider.core.misbehaviour.areas.signing import (
    ACCEPT_WRONG_HASH_LENGTH,
    AUTHORIZE_ASSUMES_SHA256,
    AUTHORIZE_BEYOND_MULTISIGN,
    AUTHORIZE_WITHOUT_CODE,
    AUTHORIZE_ZERO_SIGNATURES,
    CREDENTIAL_INFO_DECIMAL_SERIAL,
    CREDENTIAL_INFO_OTP_MORE_DIGITS,
    CROSS_ACCOUNT_CREDENTIAL,
    EXPIRED_CREDENTIAL_SIGNS,
    NOT_YET_VALID_CREDENTIAL_SIGNS,
    REVOKED_CREDENTIAL_SIGNS,
    SAD_ACCEPTS_OTHER_HASHES,
    SAD_EXPIRES_EARLY,
    SAD_NEVER_EXPIRES,
    SAD_NOT_BOUND_TO_CREDENTIAL,
    SAD_NOT_BOUND_TO_USER,
    SAD_RACE,
    SAD_REUSABLE,
    SAD_SIGNS_BEYOND_NUM_SIGNATURES,
    SAD_SURVIVES_WITHDRAWAL,
    SEAL_DELEGATION_KEPT_AFTER_WITHDRAWAL,
    SEAL_DELEGATION_NOT_HONOURED,
    SEAL_FIRST_FIRM_ONLY,
    SEAL_OF_ANOTHER_FIRM,
    SEAL_RACE,
    SEAL_WITHOUT_DELEGATION,
    SIGN_ALGO_HASH_MISMATCH,
    SIGN_ALGO_KEY_MISMATCH,
    SIGN_HASH_TRUNCATES_LONG_HASHES,
    SIGN_HASH_WITH_WRONG_KEY,
    SIGNING_BEFORE_TERMS,
    SIGNING_CODE_CAP_LATE,
    SIGNING_CODE_SHARED,
    SIGNING_SMS_WRONG_VALIDITY,
    SIGNING_WITHOUT_SIGN_DELEGATION,
)
from mock_provider.core.misbehaviour.switch import Breakage
from mock_provider.core.models import (
    Firm,
    FirmSeal,
    Membership,
    PlatformAccount,
    SignatureActivation,
    TrustRegistration,
)
from mock_provider.core.pki import profiles
from mock_provider.core.pki.authority import CertificateRecord, Pki
from mock_provider.core.pki.keys import PrivateKey
from mock_provider.core.signing_breakages import another_firms_seal, foreign_personal, hash_count_tolerated
from mock_provider.core.storage import for_update, locking

SEAL_PREFIX = "seal_"
SAD_LIFETIME = timedelta(minutes=5)
#: Signing codes sent for one credential within this window, at most (registration codes: 10 for ever). With 5
#: tries per code, that is 150 guesses an hour out of a million codes; and an accountant signing letter by letter
#: is not stopped.
SIGNING_CODE_WINDOW = timedelta(hours=1)
SIGNING_CODES_PER_WINDOW = 30
#: Signatures one authorization may cover (the credential's ``multisign``).
MAX_SIGNATURES = 100

#: Digest algorithms by OID, with their length.
DIGESTS: dict[str, tuple[hashes.HashAlgorithm, int]] = {
    "2.16.840.1.101.3.4.2.1": (hashes.SHA256(), 32),
    "2.16.840.1.101.3.4.2.2": (hashes.SHA384(), 48),
    "2.16.840.1.101.3.4.2.3": (hashes.SHA512(), 64),
}
#: Signature algorithms by OID: (key type, the digest they imply or None when ``hashAlgo`` says).
SIGN_ALGORITHMS: dict[str, tuple[str, str | None]] = {
    "1.2.840.10045.4.3.2": ("ec", "2.16.840.1.101.3.4.2.1"),
    "1.2.840.10045.4.3.3": ("ec", "2.16.840.1.101.3.4.2.2"),
    "1.2.840.10045.4.3.4": ("ec", "2.16.840.1.101.3.4.2.3"),
    "1.2.840.113549.1.1.11": ("rsa", "2.16.840.1.101.3.4.2.1"),
    "1.2.840.113549.1.1.12": ("rsa", "2.16.840.1.101.3.4.2.2"),
    "1.2.840.113549.1.1.13": ("rsa", "2.16.840.1.101.3.4.2.3"),
    "1.2.840.113549.1.1.1": ("rsa", None),
}


@dataclass(frozen=True)
class Credential:
    """A key the person may sign with, its certificate and how it is authorized."""

    id: str
    kind: str  # personal | seal
    scal: int
    certificate: CertificateRecord
    firm_id: str | None
    phone_number: str | None
    registration_id: str | None
    #: Why the platform suspends the credential's use now (a personal one: the terms not accepted, the sign
    #: delegation withdrawn), or None. The certificate itself stays valid.
    suspended: Forbidden | None = None

    def info(self, pki: Pki, *, chain: bool = True) -> CscCredentialInfo:
        """The CSC ``credentials/info`` answer (v1 and v2 field names both present)."""
        cert = self.certificate.certificate
        key = cert.public_key()
        elliptic = isinstance(key, ec.EllipticCurvePublicKey)
        algos = [oid for oid, (key_type, _) in SIGN_ALGORITHMS.items() if (key_type == "ec") == elliptic]
        if isinstance(key, ec.EllipticCurvePublicKey):
            length, curve = key.curve.key_size, "1.2.840.10045.3.1.7"
        else:
            assert isinstance(key, rsa.RSAPublicKey)
            length, curve = key.key_size, None
        issuer_role = profiles.PERSON_CA if self.kind == "personal" else profiles.SEAL_CA
        certificates = [cert]
        if chain:
            certificates += [pki.hierarchy()[issuer_role].certificate, pki.hierarchy().root.certificate]
        status = self.certificate.status_at(pki.clock.now())  # valid, revoked or expired (CSC v2 §11.5)
        usable = status == "valid" and self.suspended is None
        body: CscCredentialInfo = {
            "description": "Certificat personnel de signature" if self.kind == "personal" else "Cachet du cabinet",
            "key": {"status": "enabled" if usable else "disabled", "algo": algos, "len": length},
            "cert": {
                "status": status,
                "certificates": [base64.b64encode(c.public_bytes(Encoding.DER)).decode() for c in certificates],
                "issuerDN": cert.issuer.rfc4514_string(),
                "serialNumber": str(cert.serial_number)
                if CREDENTIAL_INFO_DECIMAL_SERIAL in pki.breakages
                else format(cert.serial_number, "x"),
                "subjectDN": cert.subject.rfc4514_string(),
                "validFrom": cert.not_valid_before_utc.strftime("%Y%m%d%H%M%SZ"),
                "validTo": cert.not_valid_after_utc.strftime("%Y%m%d%H%M%SZ"),
            },
            "authMode": "explicit",
            "SCAL": str(self.scal),
            "multisign": MAX_SIGNATURES,
            "lang": "fr",
        }
        if curve:
            body["key"]["curve"] = curve
        if self.scal == 2:
            body["OTP"] = {"presence": "true", "type": "online", "format": "N", "label": "Code SMS", "ID": "sms"}
            if self.phone_number:
                shown = self.phone_number[-4:]
                if CREDENTIAL_INFO_OTP_MORE_DIGITS in pki.breakages:
                    shown = self.phone_number[-5:]
                body["OTP"]["description"] = f"Code envoyé par SMS au {shown}"
        return body


@dataclass(frozen=True)
class PendingAuthorization:
    """An authorization checked and waiting for its SMS code (SCAL2) or its activation: what the SAD will allow."""

    user_id: str
    credential_id: str
    scal: int
    num_signatures: int
    hash_algorithm: str | None
    #: The base64 hashes the SAD signs (SCAL2), or None (SCAL1: any hashes, up to the count).
    hashes: tuple[str, ...] | None
    registration_id: str | None


class Signing(TrustService):
    """The remote-signing service of the trust provider."""

    # -- credentials --------------------------------------------------------------------------------------------------

    def list_credentials(self, user_id: str) -> list[Credential]:
        with self.db.transaction(lock=SEAL_RACE not in self.breakages) as session:
            found = []
            personal = self._personal(session, user_id)
            if personal is not None:
                found.append(personal)
            for firm_id in self._sealable_firms(session, user_id):
                found.append(self._seal(session, firm_id))
            return found

    def credential(self, user_id: str, credential_id: object) -> Credential:
        """The credential if this user may use it; anything else is "not found" (another's credentials are)."""
        with self.db.transaction() as session:
            return self._credential(session, user_id, credential_id)

    def _credential(self, session: Session, user_id: str, credential_id: object) -> Credential:
        if not isinstance(credential_id, str) or not credential_id:
            raise InvalidInput("credentialID is required", code="invalid_request", errors=[_field("credentialID")])
        if credential_id.startswith(SEAL_PREFIX):
            firm_id = credential_id[len(SEAL_PREFIX) :]
            if SEAL_OF_ANOTHER_FIRM in self.breakages and (
                stranger := another_firms_seal(self, session, user_id, firm_id)
            ):
                return stranger
            member = session.scalar(
                select(Membership).where(Membership.user_id == user_id, Membership.firm_id == firm_id)
            )
            if member is None:
                raise NotFound(f"no credential {credential_id}", code="credential_not_found")
            if SEAL_FIRST_FIRM_ONLY in self.breakages and firm_id != accounts.firms_of(session, user_id)[0].id:
                raise NotFound(f"no credential {credential_id}", code="credential_not_found")
            if firm_id not in self._sealable_firms(session, user_id) and SEAL_WITHOUT_DELEGATION not in self.breakages:
                raise Forbidden(
                    "sealing for this firm needs its seal delegation (and the firm's service open)",
                    code="seal_delegation_required",
                )
            if SEAL_DELEGATION_NOT_HONOURED in self.breakages and member.role != accounts.ACCOUNTANT:
                raise Forbidden("only the firm's chartered accountants seal", code="seal_delegation_required")
            return self._seal(session, firm_id)
        personal = self._personal(session, user_id)
        if (personal is None or personal.id != credential_id) and CROSS_ACCOUNT_CREDENTIAL in self.breakages:
            personal = foreign_personal(self, session, credential_id)
        if personal is None or personal.id != credential_id:
            raise NotFound(f"no credential {credential_id}", code="credential_not_found")
        return personal

    def _personal(self, session: Session, user_id: str) -> Credential | None:
        account = session.get(PlatformAccount, user_id)
        if account is None or account.trust_registration_id is None:
            return None
        reg = session.get(TrustRegistration, account.trust_registration_id)
        if reg is None or reg.certificate_id is None:
            return None
        record = self.pki.get_certificate(reg.certificate_id, session=session)
        suspended = accounts.personal_signing_refusal(session, user_id)
        if suspended is not None and (
            (suspended.code == "service_not_open" and SIGNING_BEFORE_TERMS in self.breakages)
            or (suspended.code == "sign_delegation_required" and SIGNING_WITHOUT_SIGN_DELEGATION in self.breakages)
        ):
            suspended = None
        return Credential(record.id, "personal", 2, record, None, reg.phone_number, reg.id, suspended)

    @staticmethod
    def _sealable_firms(session: Session, user_id: str) -> list[str]:
        """Open firms where the person is a chartered accountant or holds the seal delegation."""
        opened = accounts.opened_firm_ids(session)
        return sorted(
            firm.id
            for firm in accounts.firms_of(session, user_id)
            if firm.id in opened and (firm.role == accounts.ACCOUNTANT or "seal" in firm.delegations)
        )

    def firm_seal(self, session: Session, firm_id: str) -> Credential:
        """The firm's seal credential, issued on first use (for the seal API, :mod:`mock_provider.core.seals`)."""
        return self._seal(session, firm_id)

    def _seal(self, session: Session, firm_id: str) -> Credential:
        """The firm's seal, issued on its first use. The firm's row is locked first: a first seal has no row to
        lock yet, and concurrent first uses must take turns to find the one seal the first of them made."""
        firm = session.get(Firm, firm_id, with_for_update=locking(session))
        assert firm is not None
        seal = session.get(FirmSeal, firm_id)
        if seal is None:
            identity = profiles.LegalPersonIdentity(organization=firm.name, siren=firm.siren)
            issued = self.pki.issue_seal(identity, session=session)
            seal = FirmSeal(firm_id=firm_id, certificate_id=issued.id, created_at=self._now())
            session.add(seal)
            events.record(
                session,
                subject_type="certificate",
                subject_id=issued.id,
                actor="trust",
                action="seal_issued",
                at=self._now(),
                detail={"firm": firm_id},
            )
            record = issued
        else:
            record = self.pki.get_certificate(seal.certificate_id, session=session)
        return Credential(SEAL_PREFIX + firm_id, "seal", 1, record, firm_id, None, None)

    # -- authorization -----------------------------------------------------------------------------------------------

    def send_otp(self, user_id: str, credential_id: object) -> None:
        """``credentials/sendOTP``: an SMS code for a SCAL2 credential (answered 204: nothing is returned)."""
        with self.db.transaction() as session:
            credential = self._credential(session, user_id, credential_id)
            if credential.scal != 2 or credential.registration_id is None or credential.phone_number is None:
                raise Conflict("this credential is authorized without a code", code="otp_not_applicable")
            self._require_valid(credential)
            self._require_open(credential)
            now = self._now()
            issued = otp.issue(
                session,
                key=self.otp_key,
                policy=self.otp_policy,
                registration_id=credential.registration_id,
                purpose="sign" if SIGNING_CODE_SHARED in self.breakages else f"sign:{credential.id}",
                phone_number=credential.phone_number,
                now=now,
                limit_window=SIGNING_CODE_WINDOW,
                max_codes=SIGNING_CODES_PER_WINDOW + (1 if SIGNING_CODE_CAP_LATE in self.breakages else 0),
                breakages=self.breakages,
            )
            minutes = self.config.otp_validity_seconds // 60
            if SIGNING_SMS_WRONG_VALIDITY in self.breakages:
                minutes -= 10
            outbox.send(
                session,
                channel="sms",
                recipient=credential.phone_number,
                body=f"Votre code de signature : {issued.code}. Valable {minutes} minutes. "
                "Ne le communiquez à personne.",
                otp_code=issued.code,
                related_id=credential.id,
                at=now,
            )

    def authorize(
        self,
        user_id: str,
        credential_id: object,
        *,
        num_signatures: object,
        hashes_b64: object,
        hash_algorithm: object,
        code: object,
    ) -> SadAnswer:
        """``credentials/authorize``: a SAD for ``num_signatures`` signatures (and, SCAL2, those very hashes)."""
        token = secrets.token_urlsafe(32)
        with self.db.transaction() as session:
            pending = self._pending(session, user_id, credential_id, num_signatures, hashes_b64, hash_algorithm)
            without_code = not isinstance(code, str) or not code.strip()
            if pending.scal == 2 and without_code and AUTHORIZE_WITHOUT_CODE not in self.breakages:
                raise InvalidInput("the SMS code is required", code="otp_required", errors=[_field("OTP")])
            outcome = None
            if pending.scal == 2 and not (without_code and AUTHORIZE_WITHOUT_CODE in self.breakages):
                outcome = self._verify_code(session, pending, str(code))
            if outcome is None or outcome.ok:
                self.activate(session, pending, token)
        if outcome is not None and outcome.error is not None:
            raise outcome.error  # after the commit, so that the wrong try stays counted
        return {"SAD": token, "expiresIn": int(SAD_LIFETIME.total_seconds())}

    def pending_authorization(
        self, user_id: str, credential_id: object, *, num_signatures: object, hashes_b64: object, hash_algorithm: object
    ) -> PendingAuthorization:
        """What ``credentials/authorize`` would authorize, checked (the credential is the user's, the count and the
        hashes fit), before any code is asked: for a provider's own OAuth2 authorization page."""
        with self.db.transaction() as session:
            return self._pending(session, user_id, credential_id, num_signatures, hashes_b64, hash_algorithm)

    def confirm_code(self, pending: PendingAuthorization, code: str) -> None:
        """Check the SMS code of a SCAL2 authorization (a wrong try counts, committed before the error is raised)."""
        with self.db.transaction() as session:
            outcome = self._verify_code(session, pending, code)
        if outcome.error is not None:
            raise outcome.error

    def activate(self, session: Session, pending: PendingAuthorization, sad: str) -> int:
        """Store the SAD ``sad`` for an authorization (in the caller's transaction); answers its lifetime in
        seconds."""
        now = self._now()
        lifetime = SAD_LIFETIME / 2 if SAD_EXPIRES_EARLY in self.breakages else SAD_LIFETIME
        session.add(
            SignatureActivation(
                id=new_id("sad"),
                token_hash=token_digest(sad),
                credential_id=pending.credential_id,
                user_id=pending.user_id,
                hash_algorithm=pending.hash_algorithm,
                hashes=json.dumps(list(pending.hashes)) if pending.hashes is not None else None,
                signatures_left=pending.num_signatures,
                created_at=now,
                expires_at=now + lifetime,
            )
        )
        return int(SAD_LIFETIME.total_seconds())

    def _pending(
        self,
        session: Session,
        user_id: str,
        credential_id: object,
        num_signatures: object,
        hashes_b64: object,
        hash_algorithm: object,
    ) -> PendingAuthorization:
        credential = self._credential(session, user_id, credential_id)
        if isinstance(num_signatures, bool) or not isinstance(num_signatures, int):
            raise InvalidInput("numSignatures is required", code="invalid_request", errors=[_field("numSignatures")])
        limit = MAX_SIGNATURES if AUTHORIZE_BEYOND_MULTISIGN not in self.breakages else 2**31 - 1
        least = 0 if AUTHORIZE_ZERO_SIGNATURES in self.breakages else 1
        if not least <= num_signatures <= limit:
            raise InvalidInput(f"numSignatures is 1 to {MAX_SIGNATURES}", code="invalid_request")
        pinned: list[str] | None = None
        algorithm_oid: str | None = None
        if credential.scal == 2:
            algorithm_oid = hash_algorithm if isinstance(hash_algorithm, str) else "2.16.840.1.101.3.4.2.1"
            if AUTHORIZE_ASSUMES_SHA256 in self.breakages:
                algorithm_oid = "2.16.840.1.101.3.4.2.1"
            strict = ACCEPT_WRONG_HASH_LENGTH not in self.breakages
            pinned = _decode_hashes(hashes_b64, algorithm_oid, strict=strict)
            if len(pinned) != num_signatures and not hash_count_tolerated(self.breakages, len(pinned), num_signatures):
                raise InvalidInput(
                    "a SCAL2 credential authorizes exactly the hashes given, one signature each",
                    code="invalid_request",
                    errors=[_field("hashes", "as many as numSignatures")],
                )
        self._require_valid(credential)
        self._require_open(credential)
        return PendingAuthorization(
            user_id=user_id,
            credential_id=credential.id,
            scal=credential.scal,
            num_signatures=num_signatures,
            hash_algorithm=algorithm_oid,
            hashes=tuple(pinned) if pinned is not None else None,
            registration_id=credential.registration_id,
        )

    def _verify_code(self, session: Session, pending: PendingAuthorization, code: str) -> otp.Outcome:
        assert pending.registration_id is not None
        return otp.verify(
            session,
            key=self.otp_key,
            policy=self.otp_policy,
            registration_id=pending.registration_id,
            purpose="sign" if SIGNING_CODE_SHARED in self.breakages else f"sign:{pending.credential_id}",
            code=code,
            now=self._now(),
        )

    # -- signing -----------------------------------------------------------------------------------------------------

    def sign_hashes(
        self,
        user_id: str,
        credential_id: object,
        *,
        sad: object,
        hashes_b64: object,
        hash_algorithm: object,
        sign_algorithm: object,
        also_broken: frozenset[Breakage] = frozenset(),
    ) -> list[str]:
        """``signatures/signHash``: sign each hash with the credential's key, if the SAD allows exactly them.

        ``also_broken``: switches of the SAD's rules to honour as if on (a caller's own switches for the same rules
        on another path, such as a credential-scope access token standing in for the SAD)."""
        with self.db.transaction(lock=SAD_RACE not in self.breakages) as session:
            if SEAL_DELEGATION_KEPT_AFTER_WITHDRAWAL in self.breakages and str(credential_id).startswith(SEAL_PREFIX):
                credential = self._seal(session, str(credential_id)[len(SEAL_PREFIX) :])  # the delegation not looked at
            else:
                credential = self._credential(session, user_id, credential_id)
            if not isinstance(sign_algorithm, str) or sign_algorithm not in SIGN_ALGORITHMS:
                raise InvalidInput("signAlgo is not a supported algorithm", code="invalid_sign_algorithm")
            key_type, implied = SIGN_ALGORITHMS[sign_algorithm]
            broken = self.breakages.snapshot() | also_broken
            given = hash_algorithm if isinstance(hash_algorithm, str) else None
            if implied and given and given != implied and SIGN_ALGO_HASH_MISMATCH not in broken:
                raise InvalidInput("hashAlgo contradicts signAlgo", code="invalid_hash_algorithm")
            algorithm_oid = given or implied
            if algorithm_oid is None or algorithm_oid not in DIGESTS:
                raise InvalidInput("hashAlgo is required with this signAlgo", code="invalid_hash_algorithm")
            if SIGN_HASH_TRUNCATES_LONG_HASHES in broken and isinstance(hashes_b64, list):
                size = DIGESTS[algorithm_oid][1]
                hashes_b64 = [base64.b64encode(base64.b64decode(str(h))[:size]).decode() for h in hashes_b64]
            wanted = _decode_hashes(hashes_b64, algorithm_oid)
            key = self.pki.signing_key(credential.certificate.id, session=session)
            if SIGN_HASH_WITH_WRONG_KEY in broken:
                key = self.pki.hierarchy()[profiles.TSA].key
            fits = (key_type == "ec") == isinstance(key, ec.EllipticCurvePrivateKey)
            if not fits and SIGN_ALGO_KEY_MISMATCH not in broken:
                raise InvalidInput("signAlgo does not fit the credential's key", code="invalid_sign_algorithm")
            if not isinstance(sad, str) or not sad:
                raise InvalidInput("SAD is required", code="invalid_request", errors=[_field("SAD")])
            self._require_valid(credential)
            if SAD_SURVIVES_WITHDRAWAL not in broken:
                self._require_open(credential)
            now = self._now()
            activation = session.scalar(
                for_update(
                    session, select(SignatureActivation).where(SignatureActivation.token_hash == token_digest(sad))
                )
            )
            if activation is None:
                raise InvalidInput("the SAD is not valid for this credential", code="invalid_sad")
            if activation.credential_id != credential.id and SAD_NOT_BOUND_TO_CREDENTIAL not in broken:
                raise InvalidInput("the SAD is not valid for this credential", code="invalid_sad")
            if activation.user_id != user_id and SAD_NOT_BOUND_TO_USER not in broken:
                raise InvalidInput("the SAD is not valid for this credential", code="invalid_sad")
            if SAD_REUSABLE in broken:
                session.expunge(activation)  # nothing it spends is written back
            if activation.used_at is not None:
                raise Conflict("this SAD was already used", code="sad_used")
            if now >= activation.expires_at and SAD_NEVER_EXPIRES not in broken:
                raise InvalidInput("the SAD has expired: authorize again", code="sad_expired")
            if len(wanted) > activation.signatures_left and SAD_SIGNS_BEYOND_NUM_SIGNATURES not in broken:
                raise InvalidInput("more hashes than the SAD authorized", code="sad_hash_mismatch")
            if activation.hashes is not None and SAD_ACCEPTS_OTHER_HASHES not in broken:
                remaining: list[str] = json.loads(activation.hashes)
                if activation.hash_algorithm != algorithm_oid or any(h not in remaining for h in wanted):
                    raise InvalidInput("the SAD was authorized for other hashes", code="sad_hash_mismatch")
                for h in wanted:
                    remaining.remove(h)
                activation.hashes = json.dumps(remaining)
            activation.signatures_left -= len(wanted)
            if activation.signatures_left <= 0:
                activation.used_at = now
            digest, _ = DIGESTS[algorithm_oid]
            signatures = [base64.b64encode(_sign(key, base64.b64decode(h), digest)).decode() for h in wanted]
            events.record(
                session,
                subject_type="credential",
                subject_id=credential.id,
                actor=user_id,
                action="sealed" if credential.kind == "seal" else "signed",
                at=now,
                detail={"hashes": len(wanted), "certificate": credential.certificate.id},
            )
        return signatures

    @staticmethod
    def _require_open(credential: Credential) -> None:
        """Refuse a credential whose use the platform suspends (see :attr:`Credential.suspended`)."""
        if credential.suspended is not None:
            raise credential.suspended

    def require_valid(self, credential: Credential) -> None:
        """Refuse a credential whose certificate is revoked or out of its validity (as read in this transaction)."""
        self._require_valid(credential)

    def _require_valid(self, credential: Credential) -> None:
        """Refuse a credential whose certificate is revoked or out of its validity (as read in this transaction)."""
        record = credential.certificate
        if record.revoked_at is not None and REVOKED_CREDENTIAL_SIGNS not in self.breakages:
            raise Conflict("the credential's certificate is revoked", code="credential_revoked")
        now = self.clock.now()
        if NOT_YET_VALID_CREDENTIAL_SIGNS in self.breakages:
            now = max(now, record.not_before)
        if EXPIRED_CREDENTIAL_SIGNS in self.breakages:
            now = min(now, record.not_after - timedelta(seconds=1))
        if not record.not_before <= now <= record.not_after:  # RFC 5280 §4.1.2.5: notAfter included
            raise Conflict("the credential's certificate is not valid now", code="credential_expired")


def _sign(key: PrivateKey, digest_value: bytes, algorithm: hashes.HashAlgorithm) -> bytes:
    prehashed = utils.Prehashed(algorithm)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(digest_value, ec.ECDSA(prehashed))
    return key.sign(digest_value, padding.PKCS1v15(), prehashed)


def _decode_hashes(value: object, algorithm_oid: str, *, strict: bool = True) -> list[str]:
    if algorithm_oid not in DIGESTS:
        raise InvalidInput("unsupported hash algorithm", code="invalid_hash_algorithm")
    if not isinstance(value, list) or not value or not all(isinstance(h, str) for h in value):
        raise InvalidInput("hashes must be a non-empty list of base64 strings", code="invalid_hash")
    _, length = DIGESTS[algorithm_oid]
    for h in value:
        try:
            raw = base64.b64decode(h, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput("a hash is not base64", code="invalid_hash") from exc
        if strict and len(raw) != length:
            raise InvalidInput(f"a hash is not {length} bytes long", code="invalid_hash")
    if len(set(value)) != len(value):
        raise InvalidInput("the same hash twice", code="invalid_hash")
    return list(value)


def _field(name: str, detail: str = "required") -> dict[str, str]:
    return {"field": name, "code": "required", "detail": detail}
