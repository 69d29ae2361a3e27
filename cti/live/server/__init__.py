"""The CTI server, in parts.

* :mod:`cti.live.server.server` — :class:`CtiServer`: takes messages from the bus,
  applies them to the router, runs the router's timers, rejects bad input;
* :mod:`cti.live.server.calls` — the calls in progress and what each of the
  router's call commands does to one;
* :mod:`cti.live.server.agents` — agents' states, sessions and retained state messages;
* :mod:`cti.live.server.kpi` — the day's counts and the KPI snapshot;
* :mod:`cti.live.server.leadership` — the server's id and epoch (fencing);
* :mod:`cti.live.server.casedesk` — the caller's directory entry, history and case for each call.
* :mod:`cti.live.server.history` — callers' recent contacts and open cases: the bounded cache.
* :mod:`cti.live.server.ivr` — the calls in the voice menus: the IVR core driven through the bus.

Only the in-process centre (:mod:`cti.live.demo`) builds a server; other
components talk to it only through the bus.
"""

from cti.live.server.server import CtiServer

__all__ = ["CtiServer"]
