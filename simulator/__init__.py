"""Capacity planning: the SimPy model around the real router, Erlang analytics, staffing, replay.

* :mod:`simulator.model`: the SimPy model of callers and agents around the
  real router; :mod:`simulator.arrivals` draws the callers,
  :mod:`simulator.runner` runs replications in parallel and
  :mod:`simulator.results` turns them into figures with confidence intervals.
* :mod:`simulator.scenario`: scenario files and what-if overrides;
  :mod:`simulator.whatif` adds agents from templates.
* :mod:`simulator.erlang`: Erlang B, C and A; :mod:`simulator.singlequeue`:
  one queue simulated for comparison with them.
* :mod:`simulator.staffing`: the staffing search; :mod:`simulator.plots`: charts.
* :mod:`simulator.replay`: one real day re-run, read through a narrow reader
  the caller hands over.
* :mod:`simulator.profile`: the hotline's typical day, shared with the live
  traffic generator.

It imports the routing core and third-party libraries only, never the shell
(``cti``): what it needs from a live centre is handed to it.
"""
