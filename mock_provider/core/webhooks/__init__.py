"""Webhooks: the events the trust provider pushes to an operator's endpoints, signed, retried, kept.

The package, one concept a module:

- :mod:`~mock_provider.core.webhooks.models`: the tables (subscriptions, events, deliveries, attempts);
- :mod:`~mock_provider.core.webhooks.events`: the event names, the envelope, :func:`emit` (called in the
  transaction of the change the event tells);
- :mod:`~mock_provider.core.webhooks.subscriptions`: the webhook endpoints an operator registers;
- :mod:`~mock_provider.core.webhooks.keys`: the signing key and the detached JWS;
- :mod:`~mock_provider.core.webhooks.deliveries`: the claim, one attempt, the retry schedule;
- :mod:`~mock_provider.core.webhooks.service`: :class:`Webhooks`, the façade, and the background sender.

Kept light (no import here), since ``core/models.py`` imports the tables through this package.
"""
