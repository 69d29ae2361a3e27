"""The live centre: every component that works through the bus, and the bus itself.

* :mod:`cti.live.messages` — every message that crosses a component boundary, and its topic;
* :mod:`cti.live.bus` — the bus protocol and the in-process bus;
* :mod:`cti.live.server` — the CTI server (a package of parts; other components
  talk to it only through the bus);
* :mod:`cti.live.screenpop` — the screen pop an offer carries;
* :mod:`cti.live.pbx` — the simulated PBX;
* :mod:`cti.live.traffic` and :mod:`cti.live.bots` — callers dialling, and agents at their seats;
* :mod:`cti.live.logs` — structured logs with personal data masked;
* :mod:`cti.live.demo` — the whole centre in one process (``cti demo``).
"""
