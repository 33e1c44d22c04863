"""The rule switches, declared per rule area (one module each); the catalogue lists them all."""
