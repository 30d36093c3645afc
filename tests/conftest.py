"""Shared pytest set-up: hypothesis profiles chosen by ``SCENEFOLD_HYPOTHESIS_PROFILE``.

``dev`` (the default) keeps the run short, ``ci`` tries more examples and ``thorough``
is for hunting rare failures by hand.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("SCENEFOLD_HYPOTHESIS_PROFILE", "dev"))
