"""Jejak: BPOM 2D-barcode serialization engine for packaging lines."""

__version__ = "0.1.0"  # as in pyproject.toml (a test holds them equal): `jejak --version`
