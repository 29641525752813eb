"""The exercise registry: every exercise registered in the ``dlgrade.exercises`` entry-point group.

An exercise is an object :class:`grader.spec.Exercise`; a package registers it under its id::

    [project.entry-points."dlgrade.exercises"]
    layers = "exercises.layers:EXERCISE"

dlgrade's own thirteen are registered so in ``pyproject.toml``; a course ships another as a
package of its own (``docs/DEVELOPING.md``, example under ``tests/plugins/``).

Reading the group costs ~30 ms (``importlib.metadata``), a fifth of a ``dlgrade check``: so
:func:`get` imports one of dlgrade's own exercises directly (``BUILTIN`` mirrors ``pyproject.toml``,
a test keeps the two equal) and reads the group only for another id; :func:`catalogue` reads it.
"""

from __future__ import annotations

import dataclasses
import importlib
import threading

from grader.spec import Exercise

GROUP = "dlgrade.exercises"

# dlgrade's own exercises, in the order of the course: id -> "module:attribute"
BUILTIN = {
    "activations": "exercises.activations:EXERCISE",
    "losses": "exercises.losses:EXERCISE",
    "chain-rule": "exercises.chain_rule:EXERCISE",
    "backprop-examples": "exercises.backprop_examples:EXERCISE",
    "two-layer-net": "exercises.two_layer_net:EXERCISE",
    "layers": "exercises.layers:EXERCISE",
    "multilayer-net": "exercises.multilayer_net:EXERCISE",
    "optimizers": "exercises.optimizers:EXERCISE",
    "initialization": "exercises.initialization:EXERCISE",
    "batchnorm": "exercises.batchnorm:EXERCISE",
    "dropout": "exercises.dropout:EXERCISE",
    "regularization": "exercises.regularization:EXERCISE",
    "autograd": "exercises.autograd:EXERCISE",
}


class UnknownExercise(KeyError):
    def __init__(self, exercise_id: str):
        super().__init__(exercise_id)
        self.exercise_id = exercise_id

    def __str__(self) -> str:
        return f"unknown exercise {self.exercise_id!r}; known: {', '.join(catalogue())}"


class BadExercise(RuntimeError):
    """A registered entry point that does not load or is not an Exercise of its id."""


_cache: dict[str, Exercise] = {}
_catalogue: dict[str, Exercise] = {}
_lock = threading.Lock()


def registered() -> dict[str, str]:
    """``id -> "module:attribute"`` of every registered exercise: dlgrade's own first, then the
    group's others in name order (an id registered twice keeps dlgrade's own)."""
    from importlib.metadata import entry_points

    found = dict(BUILTIN)
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        found.setdefault(ep.name, ep.value)
    return found


def _load(exercise_id: str, target: str) -> Exercise:
    module, _, attr = target.partition(":")
    # the shared catalogue of typical mistakes registers itself on import; a check names its mistakes
    # by id through it (an exercise module that does not import it would silently name none)
    importlib.import_module("exercises.mistakes")
    obj = importlib.import_module(module)
    for part in (attr or "EXERCISE").split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, Exercise) or obj.id != exercise_id:
        raise BadExercise(f"entry point {exercise_id} = {target!r} of group {GROUP} is not the Exercise "
                          f"{exercise_id!r}")
    if not obj.signatures:  # dlgrade's own exercises keep their signatures in one table
        from exercises.signatures import SIGNATURES

        obj = dataclasses.replace(obj, signatures={n: SIGNATURES[n] for n in obj.names if n in SIGNATURES})
    return obj


def get(exercise_id: str) -> Exercise:
    """One exercise; imports only its own module (start-up of `dlgrade check`)."""
    ex = _cache.get(exercise_id)
    if ex is not None:
        return ex
    target = BUILTIN.get(exercise_id)
    if target is None:
        target = registered().get(exercise_id)
        if target is None:
            raise UnknownExercise(exercise_id)
    with _lock:
        if exercise_id not in _cache:
            _cache[exercise_id] = _load(exercise_id, target)
        return _cache[exercise_id]


def catalogue() -> dict[str, Exercise]:
    """All registered exercises, in catalogue order (thread-safe: built once, then read)."""
    if _catalogue:
        return _catalogue
    loaded = {ex_id: get(ex_id) for ex_id in registered()}
    with _lock:
        if not _catalogue:
            _catalogue.update(loaded)  # published whole: no thread ever sees a half-filled catalogue
    return _catalogue
