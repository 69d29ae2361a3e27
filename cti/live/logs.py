"""Structured logging: one JSON object per line, with centre time and masked personal data.

Components log events with key-value fields (``call_offered call_id=…
agent_id=…``); loggers are bound once per call and per agent. Caller
numbers (``caller`` and ``dialled`` fields) are masked to their last three
digits, and every other string, in lists and mappings too, is masked as free
text (:func:`cti.casework.privacy.mask_text`) before anything is written.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any, TextIO

import msgspec
import structlog

from cti.casework.privacy import mask_phone, mask_strings
from cti.clock import Clock

#: What components log with: a structlog logger, bound once per call and per agent.
Logger = structlog.typing.FilteringBoundLogger

_PHONE_KEYS = frozenset({"caller", "dialled", "phone", "mobile"})
_IDS = frozenset({"event", "level", "t", "call_id", "agent_id", "case_id", "person_id", "server_id", "run_id"})


def mask_personal_data(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: mask phone-number fields, and phone numbers and national IDs in any other string."""
    for key, value in event.items():
        if key in _PHONE_KEYS and isinstance(value, str):
            event[key] = mask_phone(value)
        elif key not in _IDS:
            event[key] = mask_strings(value)
    return event


class CentreTime:
    """A structlog processor adding ``t``: centre time in seconds since the epoch."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def __call__(self, _: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        event["t"] = round(self.clock.now(), 3)
        return event


def make_logger(clock: Clock, stream: TextIO | None = None, *, level: int = logging.INFO) -> Logger:
    """A JSON-lines logger writing to ``stream`` (nothing is written if ``stream`` is None)."""
    processors: list[Any] = [
        structlog.processors.add_log_level,
        CentreTime(clock),
        mask_personal_data,
        structlog.processors.JSONRenderer(serializer=_dumps),
    ]
    logger: Logger = structlog.wrap_logger(
        _LineWriter(stream) if stream is not None else structlog.ReturnLogger(),
        wrapper_class=structlog.make_filtering_bound_logger(level if stream is not None else logging.CRITICAL),
        processors=processors,
        cache_logger_on_first_use=True,
    )
    return logger


class _LineWriter:
    """Writes each rendered line and hands it to the operating system at once (a flush, no fsync).

    So a killed process loses no line it logged: a recovery warning, say, is
    in the file even if the process is killed right after writing it.
    """

    def __init__(self, stream: TextIO) -> None:
        self._write = stream.write
        self._flush = stream.flush

    def msg(self, message: str) -> None:
        self._write(message + "\n")
        self._flush()

    debug = info = warning = error = critical = exception = msg


def _dumps(obj: Any, **_: Any) -> str:
    return _encode(obj).decode()


_encode = msgspec.json.Encoder(enc_hook=str).encode


def open_log(path: Path) -> TextIO:
    """Append to the log at ``path``, whose folder must exist (lines are flushed as they are logged)."""
    return path.open("a", encoding="utf-8", buffering=1 << 16)
