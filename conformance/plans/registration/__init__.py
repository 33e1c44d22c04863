"""The registration plan: steps 0 to 6 of the user guide, every positive path and every negative rule.

Its modules, in running order: ``login`` (step 0), ``profile`` (1), ``handoff`` (2's start), ``identity`` (2),
``documents`` (3), ``id_validations`` (step 3's document prevalidated apart), ``agreement`` and ``otp`` (4),
``review`` (5), ``terms`` (6), ``delegations``, ``transitions``, ``isolation``, ``operator`` (the operator's reads,
the 7-day session), ``events``, ``lifecycle`` (after step 6: expiry, the holder's revocation).
Steps 2 to 5 use registrations the checks open themselves (:mod:`.steps`); steps 0, 1, 6 and the delegations use
the target's test accounts, walked once per plan run by the fixtures of :mod:`.fixtures`.
"""

import importlib

#: The modules in running order (importing them registers their checks in this order).
MODULES = (
    "login",
    "profile",
    "handoff",
    "identity",
    "documents",
    "id_validations",
    "agreement",
    "otp",
    "review",
    "terms",
    "delegations",
    "transitions",
    "isolation",
    "operator",
    "events",
    "lifecycle",
)
for _name in MODULES:
    importlib.import_module(f"{__name__}.{_name}")
