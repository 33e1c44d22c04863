"""The rule switches of Universign's transaction API: a transaction started once, the document limit.

Declarations only, listed by :mod:`mock_provider.core.misbehaviour.catalogue`; honoured in
mock_provider/core/transactions/service.py, with one guard style: ``if SWITCH in breakages:``.
"""

from __future__ import annotations

from mock_provider.core.misbehaviour.switch import declare

TRANSACTION_STARTED_TWICE = declare(
    "transaction_started_twice",
    rule="A transaction is started once: a second start is refused (409) and changes nothing.",
    check="transactions.lifecycle.start_once",
)
TRANSACTION_DOCUMENT_LIMIT_IGNORED = declare(
    "transaction_document_limit_ignored",
    rule="A transaction holds at most 20 documents: the 21st is refused.",
    check="transactions.documents.limit",
)
TRANSACTION_OF_ANY_OPERATOR = declare(
    "transaction_of_any_operator",
    rule="A transaction is its operator's: another operator's key neither reads nor cancels it (404).",
    check="transactions.access.owner_only",
)
