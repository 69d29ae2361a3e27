"""The imperative shell around the pure core, in rooms (see docs/architecture.md).

From the top down; a room may use the rooms below it, never those above:

* :mod:`cti.cli` — the ``cti`` command line; nothing imports it.
* :mod:`cti.live` — the live centre: messages and the bus, the CTI server,
  the simulated PBX, callers and agent bots, logs, the in-process centre.
* :mod:`cti.store` — everything the centre keeps (SQLite); the only room
  that speaks SQL.
* :mod:`cti.casework` — the rules of callers and cases: who a caller is,
  how a case moves, what is personal data and who may see it.
* the foundation every room uses: :mod:`cti.config` (the centre file),
  :mod:`cti.clock` (where time comes from) and :mod:`cti.errors`.
"""
