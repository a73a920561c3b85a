"""The hypothesis profiles of conftest.py: CI runs the same bounded examples every time."""

from __future__ import annotations

import os

from hypothesis import settings

from .conftest import CI_MAX_EXAMPLES, hypothesis_profile


def test_profile_follows_the_ci_variable():
    assert hypothesis_profile({}) == "dev"
    for value in ("true", "1", "yes", "True"):
        assert hypothesis_profile({"CI": value}) == "ci", value
    for value in ("", "0", "false", "no"):
        assert hypothesis_profile({"CI": value}) == "dev", value
    assert hypothesis_profile({"CI": "true", "HYPOTHESIS_PROFILE": "dev"}) == "dev"


def test_ci_profile_is_derandomized_and_bounded():
    ci = settings.get_profile("ci")
    assert ci.derandomize and ci.database is None and ci.deadline is None
    assert ci.max_examples == CI_MAX_EXAMPLES
    dev = settings.get_profile("dev")
    assert not dev.derandomize


def test_the_loaded_profile_is_the_environments():
    want = settings.get_profile(hypothesis_profile(os.environ))
    now = settings()
    assert (now.derandomize, now.database, now.max_examples) == (
        want.derandomize, want.database, want.max_examples)


def test_the_tests_own_settings_inherit_the_profile():
    # settings(max_examples=...) objects of the test modules are built after conftest
    # loads the profile: they keep its derandomize, database and deadline
    from .catalogue_harness import MANY
    from .rf_oracle import FEW

    for own in (FEW, MANY):
        assert own.derandomize == settings().derandomize
        assert own.database == settings().database
        assert own.max_examples <= CI_MAX_EXAMPLES
