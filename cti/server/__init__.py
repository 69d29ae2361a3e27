"""The CTI server, in parts.

* :mod:`cti.server.server` — :class:`CtiServer`: takes messages from the bus,
  applies them to the router, runs the router's timers, rejects bad input;
* :mod:`cti.server.calls` — the calls in progress and what each of the
  router's call commands does to one;
* :mod:`cti.server.agents` — agents' states, sessions and retained state messages;
* :mod:`cti.server.kpi` — the day's counts and the KPI snapshot;
* :mod:`cti.server.leadership` — the server's id and epoch (fencing).

Nothing outside the live runtime and the command line uses these parts:
other components talk to the server only through the bus.
"""

from cti.server.server import CtiServer

__all__ = ["CtiServer"]
