"""Delegations (sign, seal, prepare) that a firm's chartered accountant grants to collaborators."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jesign_sdk._json import field
from jesign_sdk._models import Delegation

if TYPE_CHECKING:
    from jesign_sdk._client import Client

#: What a delegation lets a collaborator do for the firm.
DELEGATION_KINDS = ("sign", "seal", "prepare")


class Delegations:
    """``client.delegations``: only a firm's accountant may list, grant and revoke."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self, firm_id: str) -> list[Delegation]:
        return self._client.platform("GET", f"/firms/{firm_id}/delegations", parse=_delegations)

    def grant(self, firm_id: str, *, user_id: str, kind: str, idempotency_key: str | None = None) -> Delegation:
        """Give the collaborator ``user_id`` of the firm a delegation of ``kind`` (:data:`DELEGATION_KINDS`)."""
        body = {"user_id": user_id, "kind": kind}
        path = f"/firms/{firm_id}/delegations"
        return self._client.platform(
            "POST", path, json=body, parse=Delegation.from_json, idempotency_key=idempotency_key
        )

    def revoke(self, firm_id: str, delegation_id: str, *, idempotency_key: str | None = None) -> None:
        path = f"/firms/{firm_id}/delegations/{delegation_id}"
        self._client.platform("DELETE", path, idempotency_key=idempotency_key)


def _delegations(body: Any) -> list[Delegation]:
    return [Delegation.from_json(d) for d in field(body, "data", list)]
