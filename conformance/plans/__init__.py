"""The plans: each module or package here registers its checks on import (see :mod:`conformance.registry`).

``smoke`` (always first), ``registration`` (steps 0 to 6 of the user guide), ``pki``, ``signing``, ``security``.
"""
