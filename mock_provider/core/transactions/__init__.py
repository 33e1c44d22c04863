"""Universign's transaction API (``/v1/files``, ``/v1/transactions``), first slice: a transaction prepared and
started by the operator, without the signer's pages.

Framework-free, in four modules: :mod:`~mock_provider.core.transactions.models` (the tables),
:mod:`~mock_provider.core.transactions.rules` (the published limits, the form's reading, the PDF's pages),
:mod:`~mock_provider.core.transactions.views` (the typed answers) and
:mod:`~mock_provider.core.transactions.service` (:class:`Transactions`, one method per call, each one transaction).
The HTTP layer is ``mock_provider/api/transactions.py``; docs/transactions.md tells Universign's shape from the
mock's own.

The package itself imports nothing: :mod:`mock_provider.core.models` imports its tables while the core's modules
are still loading, so the service (which needs them loaded) is imported from its own module.
"""
