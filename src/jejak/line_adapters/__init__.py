"""Cameras, verification, rejects, PackML, aggregation stations and the line controller.

Imports `engine` and `printers`.
"""
