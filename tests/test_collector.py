"""The cyclic collector is paused inside a build and restored after it, also on errors."""

from __future__ import annotations

import gc

import pytest

from planner.collector import collection_paused


def test_the_collector_is_paused_inside_and_enabled_again_after():
    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
        with collection_paused():  # nested: the inner block does not re-enable it early
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_restores_the_collector():
    with pytest.raises(RuntimeError), collection_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_caller_that_disabled_the_collector_keeps_it_disabled():
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_plan_leaves_the_collector_as_it_found_it():
    from planner.solve import plan
    from tests.scenario_gen import random_scenario

    plan(random_scenario(0))
    assert gc.isenabled()
