"""The registration plan: steps 0 to 6 of the user guide, every positive path and every negative rule.

Its modules, in running order: ``login`` (step 0), ``profile`` (1), ``identity`` (2), ``documents`` (3),
``agreement`` and ``otp`` (4), ``review`` (5), ``terms`` (6), ``delegations``, ``isolation``. Steps 2 to 5 use
registrations the checks open themselves (see :mod:`.steps`); steps 0, 1 and 6 use the target's test accounts.
"""

from conformance.plans.registration import identity as identity
