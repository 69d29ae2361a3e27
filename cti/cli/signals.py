"""How ``cti`` stops: Ctrl-C and SIGTERM.

Ctrl-C raises :class:`KeyboardInterrupt` (exit status 130); SIGTERM raises
:class:`Terminated`, a kind of it, so every command stops the same way on
both: ``cti demo`` closes its open calls and commits its journal, worker pools
are terminated. SIGTERM is how a service manager asks for a clean stop, so it
exits 0.
"""

from __future__ import annotations

import signal
from types import FrameType

EXIT_INTERRUPTED = 130


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop as after Ctrl-C, and exit 0."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def stop_on_sigterm() -> None:
    """From now on SIGTERM raises :class:`Terminated` in the main thread."""
    signal.signal(signal.SIGTERM, _on_sigterm)


def stopped(signal_name: str) -> KeyboardInterrupt:
    """The exception to raise after a command stopped early on ``signal_name``, once its work is saved."""
    return Terminated() if signal_name == "SIGTERM" else KeyboardInterrupt()
