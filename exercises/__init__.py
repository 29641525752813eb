"""The exercise catalogue (EXERCISES.md): one module per exercise, in the course's order."""

from __future__ import annotations

import importlib
import threading

from grader.spec import Exercise

# exercise id -> module name, in the order of EXERCISES.md
MODULES = {
    "activations": "activations",
    "losses": "losses",
    "chain-rule": "chain_rule",
    "backprop-examples": "backprop_examples",
    "two-layer-net": "two_layer_net",
    "layers": "layers",
    "multilayer-net": "multilayer_net",
    "optimizers": "optimizers",
    "initialization": "initialization",
    "batchnorm": "batchnorm",
    "dropout": "dropout",
    "regularization": "regularization",
}


class UnknownExercise(KeyError):
    def __init__(self, exercise_id: str):
        super().__init__(exercise_id)
        self.exercise_id = exercise_id

    def __str__(self) -> str:
        return f"unknown exercise {self.exercise_id!r}; known: {', '.join(MODULES)}"


_cache: dict[str, Exercise] = {}
_lock = threading.Lock()


def catalogue() -> dict[str, Exercise]:
    """All exercises that are available, in catalogue order (thread-safe: built once, then read)."""
    if _cache:
        return _cache
    with _lock:
        if _cache:
            return _cache
        loaded: dict[str, Exercise] = {}
        for ex_id, module in MODULES.items():
            try:
                mod = importlib.import_module(f"exercises.{module}")
            except ModuleNotFoundError as exc:
                if exc.name != f"exercises.{module}":
                    raise
                continue
            loaded[ex_id] = mod.EXERCISE
        _cache.update(loaded)  # published whole: no thread ever sees a half-filled catalogue
    return _cache


def get(exercise_id: str) -> Exercise:
    """One exercise; imports only its own module (start-up of `dlgrade check`)."""
    if _cache:
        try:
            return _cache[exercise_id]
        except KeyError:
            raise UnknownExercise(exercise_id) from None
    module = MODULES.get(exercise_id)
    if module is None:
        raise UnknownExercise(exercise_id)
    try:
        return importlib.import_module(f"exercises.{module}").EXERCISE
    except ModuleNotFoundError as exc:
        if exc.name != f"exercises.{module}":
            raise
        raise UnknownExercise(exercise_id) from None
