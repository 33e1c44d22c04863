"""How some switches of remote signing bend its rules, where a one-line guard would not do (declared in
:mod:`mock_provider.core.misbehaviour.areas.signing`; see :mod:`mock_provider.core.misbehaviour.switch`).

:mod:`mock_provider.core.signing` and :mod:`mock_provider.api.csc`, which honour them, keep only one-line guards
(``if X in self.breakages``) so that their hot paths stay readable: the helpers here hold the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from mock_provider.core.accounts import ACCOUNTANT, firms_of
from mock_provider.core.misbehaviour.areas.signing import AUTHORIZE_FEWER_HASHES, AUTHORIZE_MORE_HASHES
from mock_provider.core.misbehaviour.switches import Breakages
from mock_provider.core.models import Firm, TrustRegistration

if TYPE_CHECKING:
    from mock_provider.core.signing import Credential, Signing


def hash_count_tolerated(breakages: Breakages, hashes: int, signatures: int) -> bool:
    """Whether a switch lets through a SCAL2 authorization whose ``hashes`` are fewer, or more, than its
    ``signatures`` (numSignatures)."""
    if hashes < signatures:
        return AUTHORIZE_FEWER_HASHES in breakages
    return AUTHORIZE_MORE_HASHES in breakages


def another_firms_seal(signing: Signing, session: Session, user_id: str, firm_id: str) -> Credential | None:
    """A firm's seal for a chartered accountant of any firm, as a provider that checks the role but not the firm
    hands it out."""
    accountant = any(f.role == ACCOUNTANT for f in firms_of(session, user_id))
    return signing._seal(session, firm_id) if accountant and session.get(Firm, firm_id) is not None else None


def foreign_personal(signing: Signing, session: Session, credential_id: str) -> Credential | None:
    """Anyone's personal credential by its id, as a provider that does not keep accounts apart hands it out."""
    from mock_provider.core.signing import Credential

    reg = session.scalar(select(TrustRegistration).where(TrustRegistration.certificate_id == credential_id))
    if reg is None or reg.certificate_id is None:
        return None
    record = signing.pki.get_certificate(reg.certificate_id)
    return Credential(record.id, "personal", 2, record, None, reg.phone_number, reg.id)
