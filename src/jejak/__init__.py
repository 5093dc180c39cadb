"""Jejak: BPOM 2D-barcode serialization engine for packaging lines."""
