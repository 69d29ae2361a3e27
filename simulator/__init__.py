"""Capacity simulation (SimPy) over the same routing core the live server runs,
Erlang analytics, staffing search, and the live traffic generator and agent
bots. Not yet built."""
