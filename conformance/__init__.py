"""jesign's conformance suite: checks any deployment (the mock or a real sandbox) rule by rule.

The plans and checks arrive with the conformance issue; for now the package holds the CLI entry point.
"""
