"""Long-running commands stop cleanly on the first SIGINT or SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["stop_on_signals"]


@contextlib.contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event the first SIGINT or SIGTERM sets; a second one acts as if never caught."""
    stop = threading.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    previous: dict[signal.Signals, Any] = {}

    def first(signum: int, frame: object) -> None:
        stop.set()
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    for sig in signals:
        previous[sig] = signal.getsignal(sig) or signal.SIG_DFL
        signal.signal(sig, first)
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
