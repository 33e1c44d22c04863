"""What the tests share: the mock in memory or served, the session's pool of apps, snapshots, and helpers per area.

Test modules and conftests import from here, never from one another (a test module is not a library). Modules:

- :mod:`tests.helpers.mock`: the test configuration, the served mock (:class:`~tests.helpers.mock.LiveMock`) and
  the session's pool of apps, each handed out reset to its seed (:class:`~tests.helpers.mock.AppPool`);
- :mod:`tests.helpers.snapshot`: the storage's own snapshot and restore (SQLite's backup API), so that a test that
  needs a registered and active accountant restores one instead of walking the registration again;
- :mod:`tests.helpers.registration`, :mod:`~tests.helpers.pki`, :mod:`~tests.helpers.csc`,
  :mod:`~tests.helpers.pdf`, :mod:`~tests.helpers.images`, :mod:`~tests.helpers.openapi`: requests and documents
  per area;
- :mod:`tests.helpers.serve`, :mod:`~tests.helpers.broken_http`, :mod:`~tests.helpers.live_signer`,
  :mod:`~tests.helpers.browser`: servers and browsers;
- :mod:`tests.helpers.pdf_corpus`, :mod:`~tests.helpers.foreign_pki`, :mod:`~tests.helpers.guide_targets`: data.
"""
