"""The data set and the grader-side pieces of MultiLayerNetExtend.training."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from exercises import regularization as reg
from reference.optimizers import Adam

DATA = Path(reg.__file__).with_name("data")


def test_digits_data_set():
    x, y = reg.digits()
    assert x.shape == (1797, 64) and x.dtype == np.float64 and 0.0 <= x.min() and x.max() == 1.0
    assert y.shape == (1797,) and np.array_equal(np.bincount(y),
                                                 [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    digest = hashlib.sha256((DATA / "digits.npz").read_bytes()).hexdigest()
    assert digest == "f10b077e7e3037d11006b85b6b71a63e15b2bf746d91c4e4122e42d304e5e54b"


def test_data_folder_ships_in_the_wheel():
    # exercises/data is a package, so pyproject's package data ("*.npz") includes digits.npz
    assert (DATA / "__init__.py").is_file()
    assert '"*.npz"' in (DATA.parents[1] / "pyproject.toml").read_text(encoding="utf-8")


def test_flat_adam_equals_adam_per_key():
    # the training item runs the reference Adam on one flat vector: the same steps as per key
    rng = np.random.default_rng(0)
    shapes = {"W1": (4, 3), "b1": (3,), "gamma1": (3,), "W2": (3, 2)}
    params = {k: rng.standard_normal(s) for k, s in shapes.items()}
    theta = np.concatenate([v.ravel() for v in params.values()])
    per_key, flat = Adam(lr=0.01), Adam(lr=0.01)
    for _ in range(5):
        grads = {k: rng.standard_normal(s) for k, s in shapes.items()}
        per_key.update(params, grads)
        flat.update({"θ": theta}, {"θ": np.concatenate([grads[k].ravel() for k in shapes])})
    np.testing.assert_allclose(theta, np.concatenate([v.ravel() for v in params.values()]), rtol=1e-12)
