"""The SDK's resources, one module per area: sso, registration, trust, delegations."""
