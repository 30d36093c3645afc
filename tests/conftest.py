"""Shared pytest set-up: hypothesis profiles and the real-data sources.

``SCENEFOLD_HYPOTHESIS_PROFILE`` chooses the profile: ``dev`` (the default) keeps the
run short, ``ci`` tries more examples and ``thorough`` is for hunting rare failures by
hand. The ``wordnet_root`` and ``nrc_file`` fixtures skip a test, with the install
hint, when WordNet 3.0 or the NRC lexicon is missing.
"""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from scenefold.errors import SourceNotFoundError
from scenefold.importers import find_nrc, find_wordnet

settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("SCENEFOLD_HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def wordnet_root() -> Path:
    """Return the WordNet 3.0 database folder, or skip with the install hint."""
    try:
        return find_wordnet()
    except SourceNotFoundError as error:
        pytest.skip(f"needs WordNet 3.0: {error}")


@pytest.fixture(scope="session")
def nrc_file() -> Path:
    """Return the NRC lexicon file, or skip with the install hint."""
    try:
        return find_nrc()
    except SourceNotFoundError as error:
        pytest.skip(f"needs the NRC lexicon (pip install nrclex): {error}")
