"""The garbage-collector pause around bulk object creation."""

import gc

import numpy as np
import pytest
import shapely

from landclear._memory import gc_paused
from landclear.geo import project_geometries


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_pause_restores_the_collector_even_after_an_error(collector_on):
    with pytest.raises(ValueError), gc_paused():
        assert not gc.isenabled()
        raise ValueError("boom")
    assert gc.isenabled()


def test_nested_pauses_resume_only_at_the_outer_end(collector_on):
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block must not switch it back on
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off(collector_on):
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


def test_explicit_collection_still_frees_cycles_while_paused(collector_on):
    class Node:
        pass

    with gc_paused():
        a, b = Node(), Node()
        a.other, b.other = b, a
        del a, b
        assert gc.collect() >= 2


def test_bulk_creation_sets_off_no_full_collection(collector_on):
    # Without the pause, making 300k geometries runs several full collections.
    full = []

    def count(phase, info):
        if phase == "start" and info["generation"] == 2:
            full.append(1)

    geoms = shapely.points(np.arange(300_000.0), np.arange(300_000.0))
    gc.callbacks.append(count)
    try:
        moved = project_geometries(geoms, "EPSG:4545", "EPSG:4490")
    finally:
        gc.callbacks.remove(count)
    assert len(moved) == len(geoms) and not full
