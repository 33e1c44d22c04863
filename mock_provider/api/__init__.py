"""Thin HTTP adapters (Flask blueprints) over the core, one per party."""
