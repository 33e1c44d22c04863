"""Webhooks: the operator's endpoints at ``/trust/v1/webhooks`` and the control plane's at ``/_mock/webhooks``.

The operator (HTTP Basic, as for ``/trust/v1/registrations``) registers, lists and deletes its own webhook
endpoints; the JWKS whose key signs every delivery is public. The control plane sees every operator's endpoints
and every delivery with its attempts, and redelivers one on demand. The rules are in
:mod:`mock_provider.core.webhooks`.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from mock_provider.api.common import json_body, ok
from mock_provider.api.trust import operator
from mock_provider.core.errors import InvalidInput
from mock_provider.core.webhooks.events import FAILED, PENDING, SUCCESSFUL
from mock_provider.http_common.services import services

bp = Blueprint("trust_webhooks", __name__, url_prefix="/trust/v1/webhooks")
control_bp = Blueprint("control_webhooks", __name__, url_prefix="/_mock/webhooks")


@bp.post("")
def subscribe() -> Response:
    owner = operator()
    return ok(services().webhooks.subscribe(owner, json_body()).as_json(), 201)


@bp.get("")
def list_subscriptions() -> Response:
    owner = operator()
    return ok({"data": [s.as_json() for s in services().webhooks.subscriptions(owner)]})


@bp.delete("/<webhook_id>")
def unsubscribe(webhook_id: str) -> Response:
    services().webhooks.unsubscribe(operator(), webhook_id)
    return Response(status=204)


@bp.get("/jwks.json")
def jwks() -> Response:
    answer = ok(services().webhooks.jwks())
    answer.headers["Cache-Control"] = "public, max-age=300"
    return answer


@control_bp.get("")
def all_subscriptions() -> Response:
    return ok({"data": [{**s.as_json(), "operator": s.owner} for s in services().webhooks.subscriptions(None)]})


@control_bp.delete("/<webhook_id>")
def delete_subscription(webhook_id: str) -> Response:
    services().webhooks.unsubscribe(None, webhook_id)
    return Response(status=204)


@control_bp.get("/deliveries")
def deliveries() -> Response:
    state = request.args.get("state")
    if state is not None and state not in (PENDING, SUCCESSFUL, FAILED):
        raise InvalidInput("state is pending, successful or failed", code="invalid_query")
    try:
        limit = int(request.args.get("limit", "100"))
    except ValueError as exc:
        raise InvalidInput("limit must be an integer", code="invalid_query") from exc
    if not 1 <= limit <= 1000:
        raise InvalidInput("limit is between 1 and 1000", code="invalid_query")
    found = services().webhooks.deliveries(state=state, limit=limit)
    return ok({"data": [d.as_json() for d in found]})


@control_bp.get("/deliveries/<delivery_id>")
def delivery(delivery_id: str) -> Response:
    return ok(services().webhooks.delivery(delivery_id).as_json())


@control_bp.post("/deliveries/<delivery_id>/redeliver")
def redeliver(delivery_id: str) -> Response:
    return ok(services().webhooks.redeliver(delivery_id).as_json())


@control_bp.post("/deliveries/settle")
def settle() -> Response:
    """Send every delivery due on the mock clock now, before answering (what the sender thread does)."""
    return ok({"sent": services().webhooks.settle()})
