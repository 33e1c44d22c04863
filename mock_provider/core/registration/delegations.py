"""A firm's delegations: the chartered accountant grants and revokes them to the firm's collaborators.

Only the firm's own chartered accountant sees and manages them; the firm's row lock makes grants and revocations
one at a time.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mock_provider.core import accounts, events, registration_breakages
from mock_provider.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from mock_provider.core.ids import new_id
from mock_provider.core.misbehaviour.areas.registration import (
    ACCOUNTANT_OF_ANY_FIRM,
    COLLABORATOR_MANAGES_DELEGATIONS,
    CROSS_FIRM_DELEGATIONS,
    DELEGATION_HELD_BY_COLLEAGUE,
    DELEGATION_KINDS_BY_ORDER,
    DELEGATION_RACE,
    DELEGATION_REVOKE_IGNORED,
    DELEGATION_REVOKED_ELSEWHERE,
    DELEGATION_TO_ACCOUNTANT,
    DELEGATION_TO_MEMBER_OF_OTHER_FIRM,
    DELEGATION_TO_NON_MEMBER,
    DELEGATIONS_LISTED_ACROSS_FIRMS,
)
from mock_provider.core.models import (
    Delegation,
    Firm,
    Membership,
    User,
)
from mock_provider.core.registration.shapes import CollaboratorView, DelegationView
from mock_provider.core.registration.states import Transitions
from mock_provider.core.storage import locking


class Delegations(Transitions):
    """A firm's delegations, granted and revoked by its chartered accountant."""

    def list_delegations(self, user_id: str, firm_id: str) -> list[DelegationView]:
        with self.db.read() as session:
            self._require_accountant(session, user_id, firm_id)
            rows = session.scalars(
                select(Delegation).where(Delegation.firm_id == firm_id).order_by(Delegation.granted_at)
            ).all()
            if DELEGATIONS_LISTED_ACROSS_FIRMS in self.breakages:  # the firm compared by order, not equality
                rows = session.scalars(
                    select(Delegation).where(Delegation.firm_id >= firm_id).order_by(Delegation.granted_at)
                ).all()
            rows = registration_breakages.listed_delegations(rows, self.breakages)
            return [_delegation_json(row) for row in rows]

    def list_collaborators(self, user_id: str, firm_id: str) -> list[CollaboratorView]:
        """The firm's collaborators, those a delegation may go to (for its chartered accountant's screens)."""
        with self.db.read() as session:
            self._require_accountant(session, user_id, firm_id)
            rows = session.execute(
                select(User.id, User.given_name, User.family_name)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.firm_id == firm_id, Membership.role != accounts.ACCOUNTANT)
                .order_by(User.family_name, User.given_name)
            ).all()
            return [{"id": id_, "given_name": given, "family_name": family} for id_, given, family in rows]

    def grant_delegation(self, user_id: str, firm_id: str, *, collaborator_id: str, kind: str) -> DelegationView:
        if not registration_breakages.known_delegation_kind(kind, accounts.DELEGATIONS, self.breakages):
            raise InvalidInput(
                f"kind must be one of {', '.join(accounts.DELEGATIONS)}",
                code="invalid_delegation_kind",
                errors=[{"field": "kind", "code": "invalid_choice", "detail": "sign, seal or prepare"}],
            )
        with self.db.transaction(lock=DELEGATION_RACE not in self.breakages) as session:
            self._lock_firm(session, firm_id)
            self._require_accountant(session, user_id, firm_id)
            member = session.scalar(
                select(Membership).where(Membership.firm_id == firm_id, Membership.user_id == collaborator_id)
            )
            if member is None and DELEGATION_TO_MEMBER_OF_OTHER_FIRM in self.breakages:  # firms compared by order
                member = session.scalar(
                    select(Membership).where(Membership.firm_id <= firm_id, Membership.user_id == collaborator_id)
                )
            if member is None and DELEGATION_TO_NON_MEMBER not in self.breakages:
                raise NotFound(f"no collaborator {collaborator_id} in this firm", code="collaborator_not_found")
            if member is not None and member.role != "collaborateur" and DELEGATION_TO_ACCOUNTANT not in self.breakages:
                raise InvalidInput("delegations are granted to collaborators", code="not_a_collaborator")
            exists = session.scalar(
                select(Delegation).where(
                    Delegation.firm_id == firm_id, Delegation.user_id == collaborator_id, Delegation.kind == kind
                )
            )
            if exists is None and DELEGATION_HELD_BY_COLLEAGUE in self.breakages:  # people compared by order
                exists = session.scalar(
                    select(Delegation).where(
                        Delegation.firm_id == firm_id, Delegation.user_id < collaborator_id, Delegation.kind == kind
                    )
                )
            if exists is None and DELEGATION_KINDS_BY_ORDER in self.breakages:  # kinds compared by order
                exists = session.scalar(
                    select(Delegation).where(
                        Delegation.firm_id == firm_id, Delegation.user_id == collaborator_id, Delegation.kind < kind
                    )
                )
            if exists is not None:
                raise Conflict("this delegation is already held", code="delegation_exists")
            now = self._now()
            row = Delegation(
                id=new_id("dlg"),
                firm_id=firm_id,
                user_id=collaborator_id,
                kind=kind,
                granted_by=user_id,
                granted_at=now,
            )
            session.add(row)
            events.record(
                session,
                subject_type="firm",
                subject_id=firm_id,
                actor=user_id,
                action="delegation_granted",
                at=now,
                detail={"delegation": row.id, "user": collaborator_id, "kind": kind},
            )
            return _delegation_json(row)

    def revoke_delegation(self, user_id: str, firm_id: str, delegation_id: str) -> None:
        with self.db.transaction() as session:
            self._lock_firm(session, firm_id)
            self._require_accountant(session, user_id, firm_id)
            row = session.get(Delegation, delegation_id)
            if row is None or (row.firm_id != firm_id and DELEGATION_REVOKED_ELSEWHERE not in self.breakages):
                raise NotFound(f"no delegation {delegation_id} in this firm", code="delegation_not_found")
            if DELEGATION_REVOKE_IGNORED not in self.breakages:
                session.delete(row)
            events.record(
                session,
                subject_type="firm",
                subject_id=firm_id,
                actor=user_id,
                action="delegation_revoked",
                at=self._now(),
                detail={"delegation": delegation_id, "user": row.user_id, "kind": row.kind},
            )

    @staticmethod
    def _lock_firm(session: Session, firm_id: str) -> None:
        """The firm's row lock: its delegations are granted and revoked one at a time (a new one has no row yet)."""
        session.get(Firm, firm_id, with_for_update=locking(session))

    def _require_accountant(self, session: Session, user_id: str, firm_id: str) -> None:
        if CROSS_FIRM_DELEGATIONS in self.breakages:
            return
        member = session.scalar(select(Membership).where(Membership.firm_id == firm_id, Membership.user_id == user_id))
        if member is None and ACCOUNTANT_OF_ANY_FIRM in self.breakages:
            member = session.scalar(
                select(Membership).where(Membership.user_id == user_id).order_by(Membership.firm_id)
            )
        if member is None:
            raise NotFound(f"no firm {firm_id} among yours", code="firm_not_found")
        if member.role != accounts.ACCOUNTANT and COLLABORATOR_MANAGES_DELEGATIONS not in self.breakages:
            raise Forbidden("only the firm's chartered accountant manages delegations", code="not_firm_accountant")


def _delegation_json(row: Delegation) -> DelegationView:
    return {
        "id": row.id,
        "firm_id": row.firm_id,
        "user_id": row.user_id,
        "kind": row.kind,
        "granted_by": row.granted_by,
        "granted_at": row.granted_at.isoformat(),
    }
