"""jesign's mock provider: one Flask app that plays every remote party (SSO, platform, trust provider, PKI).

NOT FOR PRODUCTION: its certificates come from a TEST hierarchy and its keys are kept by the mock itself.
"""

from mock_provider.app import create_app
from mock_provider.config import MockConfig, load_config

__all__ = ["MockConfig", "create_app", "load_config"]
