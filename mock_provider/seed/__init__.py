"""The seed data of the mock: the SSO's directory (people, firms, delegations) and its registered clients."""
