"""What a benchmark module prints after its tests: its figures, ratios and targets, written to
the terminal past pytest's capture (pytest-benchmark's table has no room for them)."""

from __future__ import annotations

import pytest

__all__ = ["write_summary"]


def write_summary(request: pytest.FixtureRequest, lines: list[str]) -> None:
    """Write `lines` (after a blank line) to the terminal, if pytest has one."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or not lines:
        return
    with capture.global_and_fixture_disabled():
        for line in ["", *lines]:
            reporter.write_line(line)
