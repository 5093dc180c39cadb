"""Symbols, labels, printer protocols and the ZeroMQ print-job stream. Imports `engine`."""
