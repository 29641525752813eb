"""What a check function receives: the student's process, a seeded RNG, and helpers."""

from __future__ import annotations

import numpy as np

from grader.compare import Fail, as_array, assert_close
from grader.messages import Msg
from grader.runner.session import Batch, Budget, Pending, Session
from grader.spec import SHARED_MISTAKES, Exercise, Item, Mistake


class ItemContext:
    def __init__(self, session: Session, exercise: Exercise, item: Item, rng: np.random.Generator,
                 variant: dict | None = None, own_numbers: bool = False):
        self.session = session
        self.exercise = exercise
        self.item = item
        self.rng = rng
        # an exercise with per-student numbers (Exercise.variants): this submission's numbers, read-only
        # arrays by name (the student's own, or the text's when graded without a student id)
        self.variant = variant
        # True when ``variant`` is a student's own numbers: their answers are not to be shown in feedback
        self.own_numbers = own_numbers

    # ---------------------------------------------------------------- student process access
    def batch(self) -> Batch:
        return self.session.batch()

    def call(self, name: str, *args, **kwargs):
        """Call the student's function ``name`` once; return its decoded result."""
        return self.session.call(name, *args, **kwargs)

    def mistake(self, mistake_id: str) -> Mistake:
        """A mistake of the exercise's own list, else of the shared catalogue (registered by exercises/mistakes.py)."""
        for m in self.exercise.mistakes:
            if m.id == mistake_id:
                return m
        return SHARED_MISTAKES[mistake_id]

    def variants(self, **by_id) -> dict[Mistake, np.ndarray]:
        """``variants(missing_1_over_n=arr, ...)`` -> {Mistake: arr} for assert_close."""
        out = {}
        for key, value in by_id.items():
            mid = key.replace("_", "-")
            try:
                out[self.mistake(mid)] = value
            except KeyError:
                continue
        return out

    # ---------------------------------------------------------------- inputs
    def budget(self, seconds: float) -> Budget:
        """A time budget over many round trips (a training loop): ``seconds`` plus the time the student
        process and the grader waited for a CPU, up to 3 × ``seconds``; ``.remaining()`` is what is left."""
        return Budget(self.session, seconds)

    def randn(self, *shape, scale: float = 1.0, away: float = 0.0) -> np.ndarray:
        """Normal samples; with ``away`` every |value| ≥ away (keeps inputs off kinks)."""
        x = self.rng.standard_normal(shape) * scale
        if away:
            x = np.where(np.abs(x) < away, np.sign(x + 1e-300) * (away + np.abs(x)), x)
        return x

    def one_hot(self, n: int, k: int) -> np.ndarray:
        t = np.zeros((n, k))
        t[np.arange(n), self.rng.integers(0, k, n)] = 1.0
        return t

    # ---------------------------------------------------------------- gradients
    def numerical_vjp(self, build, x: np.ndarray, dout, h: float = 1e-5, what: Msg | None = None) -> np.ndarray:
        """Σ (f(x+h e_i) − f(x−h e_i))·dout / 2h for each element, all forwards in one batch.

        ``build(batch, x_value) -> Pending`` adds the ops computing f at ``x_value``.
        """
        b = self.batch()
        pairs: list[tuple[Pending, Pending]] = []
        for i in range(x.size):
            xp = x.copy()
            xp.flat[i] += h
            xm = x.copy()
            xm.flat[i] -= h
            pairs.append((build(b, xp), build(b, xm)))
        b.run(timeout=self.item.timeout)
        what = what or Msg(en="the output", ja="出力")
        dout = np.asarray(dout, dtype=float)
        grad = np.empty(x.size)
        for i, (p, m) in enumerate(pairs):
            fp = as_array(p.value, what)
            fm = as_array(m.value, what)
            if fp.size != dout.size or fm.size != dout.size:
                raise Fail(Msg(en=f"{what.en} has shape {fp.shape}, expected {dout.shape}.",
                               ja=f"{what.ja} の形状が {fp.shape} です。期待される形状は {dout.shape} です。"))
            grad[i] = float(np.sum((fp.reshape(dout.shape) - fm.reshape(dout.shape)) * dout)) / (2 * h)
        return grad.reshape(x.shape)
