"""Shared test settings: every random choice is seeded, so failures reproduce."""

import os

from hypothesis import HealthCheck, settings

# Derandomized: the same examples on every run and every machine. Set
# HYPOTHESIS_PROFILE=explore locally to search with fresh random examples.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("explore", max_examples=3000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
