import numpy as np
import pytest

from reference.initialization import init_std, init_weight


def test_init_std_values():
    assert init_std(100, 50, "he") == pytest.approx(np.sqrt(2 / 100))
    assert init_std(100, 50, "relu") == pytest.approx(np.sqrt(2 / 100))
    assert init_std(100, 50, "xavier") == pytest.approx(np.sqrt(2 / 150))
    assert init_std(100, 50, "sigmoid") == pytest.approx(np.sqrt(2 / 150))
    assert init_std(100, 50, 0.01) == 0.01
    with pytest.raises(ValueError):
        init_std(100, 50, "uniform")


@pytest.mark.parametrize("method,variance", [("he", 2 / 1000), ("xavier", 2 / 1500), (0.05, 0.0025)])
def test_init_weight_statistics(method, variance):
    W = init_weight(1000, 500, method, rng=np.random.default_rng(0))
    n = W.size
    assert W.shape == (1000, 500)
    # Bounds of about 8 standard errors of each estimate.
    assert abs(W.mean()) < 8 * np.sqrt(variance / n)
    assert W.var() == pytest.approx(variance, rel=8 * np.sqrt(2 / n))
    kurtosis = np.mean(W**4) / W.var() ** 2  # 3 for a normal, 1.8 for a uniform
    assert kurtosis == pytest.approx(3.0, abs=8 * np.sqrt(24 / n))
