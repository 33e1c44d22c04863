"""Versioned texts the mock presents: the trust provider's subscription agreement, the platform's terms."""
