"""Capacity planning and simulated people.

Built so far: Erlang B, C and A analytics (:mod:`simulator.erlang`), and the
live traffic generator and agent bots (:mod:`simulator.traffic`,
:mod:`simulator.bots`). The SimPy capacity model over the routing core, the
staffing search and replay are still to come.
"""
