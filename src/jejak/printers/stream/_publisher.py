"""The print engine's PUB socket: line events for dashboards, from the engine and its owner.

Every publication is one ZeroMQ message of two frames: the topic (UTF-8) and a msgpack map
whose first key is ``batch`` (the engine's batch). The engine's own topics are `Topic`; its
owner (the line controller) publishes its own events under other names through `publish`,
which any thread may call: the body is packed in the caller's thread (a body msgpack cannot
pack is refused there) and queued, and the engine's serve loop sends the queue on its next turn
(within 50 ms) — a ZeroMQ socket belongs to one thread. Without a PUB socket a publication is
checked and dropped.

>>> publisher = Publisher(None, "B1")
>>> publisher.publish("line.verdict", {"index": 7, "reason": "good"})
>>> publisher.publish("status", {})
Traceback (most recent call last):
  ...
jejak.engine.errors.InvalidFormat: Invalid topic 'status': expected 1 to 64 lower-case letters, \
digits, '.', '_' or '-', not starting with an engine topic (hello, status, failed, lost, \
progress). Hint: name line events under a prefix of their own, e.g. 'line.verdict'.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import zmq

from jejak.engine.errors import InvalidFormat
from jejak.engine.text import describe
from jejak.printers.stream import wire

__all__ = ["Publisher", "Topic"]

_QUEUED = 100_000  # publications waiting for the serve loop; beyond, the oldest are dropped
_NAME = re.compile(r"[a-z0-9._-]{1,64}")


class Topic(StrEnum):
    """The engine's own topics (body keys in printers/README.md, "Events (PUB)")."""

    HELLO = "hello"
    STATUS = "status"
    FAILED = "failed"
    LOST = "lost"
    PROGRESS = "progress"


class Publisher:
    """The PUB socket (or None: nothing is published) and the queue of its owner's events."""

    __slots__ = ("_queue", "batch", "socket")

    def __init__(self, socket: zmq.Socket[bytes] | None, batch: str) -> None:
        self.socket, self.batch = socket, batch
        self._queue: deque[list[bytes]] = deque(maxlen=_QUEUED)  # appends, pops: thread-safe

    def event(self, topic: Topic, body: Mapping[str, Any]) -> None:
        """An engine event, sent now (the engine's thread)."""
        if self.socket is not None:
            self.socket.send_multipart(
                [topic.value.encode(), wire.pack_body({"batch": self.batch, **body})]
            )

    def publish(self, topic: str, body: Mapping[str, Any]) -> None:
        """Queue the owner's event `topic` with `body` (any thread); a ``batch`` key in the
        body replaces the engine's batch."""
        if (not isinstance(topic, str) or not _NAME.fullmatch(topic)
                or any(topic.startswith(own) for own in Topic)):  # fmt: skip
            raise InvalidFormat(
                f"Invalid topic {describe(topic)}: expected 1 to 64 lower-case letters, "
                "digits, '.', '_' or '-', not starting with an engine topic "
                f"({', '.join(Topic)}). Hint: name line events under a prefix of their own, "
                "e.g. 'line.verdict'."
            )
        try:
            packed = wire.pack_body({"batch": self.batch, **body})
        except (TypeError, ValueError, OverflowError) as error:
            raise InvalidFormat(
                f"Invalid body for topic {topic!r}: {error}. Hint: msgpack types only (str, "
                "bytes, int, float, bool, None, lists and maps of them; int(x) for numpy "
                "integers)."
            ) from None
        if self.socket is not None:
            self._queue.append([topic.encode("ascii"), packed])

    def flush(self) -> None:
        """Send the queued publications, oldest first (the engine's thread)."""
        queue, socket = self._queue, self.socket
        while queue and socket is not None:
            socket.send_multipart(queue.popleft())
