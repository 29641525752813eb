"""Differential probe of `backprop-examples` (EXERCISES.md §4, the practice variant: the text's numbers)."""

from __future__ import annotations

from _common import Diffs
from reference import backprop_examples as ref

NAMES = ("ex1_1_dX", "ex1_1_dW", "ex1_2_dX", "ex1_2_dW", "ex2_dX", "ex2_db")


def probe(ns, rng):
    d = Diffs()
    for name in NAMES:
        if name not in ns:
            d.add(name, f"{name} is not defined")
            continue
        d.check(name, name, ns[name], getattr(ref, name), squeeze=True)
    return d
