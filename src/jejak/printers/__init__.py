"""Symbols, labels, printer protocols and the ZeroMQ print-job stream. Imports `engine`.

The subpackages are the glossary: `symbols`, `label`, `zpl`, `coder`, `stream`, `sim`; beside
them `device` (the `PrintDevice` seam) and `pregen`. printers/README.md maps the tree and
documents the device protocols and the print-job stream.
"""
