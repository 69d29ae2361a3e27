"""Capacity planning and simulated people.

* :mod:`simulator.model`: the SimPy model of callers and agents around the
  real router; :mod:`simulator.arrivals` draws the callers,
  :mod:`simulator.runner` runs replications in parallel and
  :mod:`simulator.results` turns them into figures with confidence intervals.
* :mod:`simulator.scenario`: scenario files and what-if overrides;
  :mod:`simulator.whatif` adds agents from templates.
* :mod:`simulator.erlang`: Erlang B, C and A; :mod:`simulator.singlequeue`:
  one queue simulated for comparison with them.
* :mod:`simulator.staffing`: the staffing search; :mod:`simulator.plots`: charts.
* :mod:`simulator.traffic` and :mod:`simulator.bots`: the live demo's callers
  and agent bots, which work through the bus.
"""
