"""How ``assert_close`` names a known mistake (issue 9): only when the correct comparison failed, only when
the student's value fits the mistake better than the correct value, also for a mistake of another shape
(doutᵀX, db not summed) or one that gives NaN (no max shift, no δ in the log)."""

from __future__ import annotations

import numpy as np
import pytest

from exercises.mistakes import MISTAKES, variants
from grader.compare import Fail, assert_close, match_variant
from grader.messages import Msg

WHAT = Msg(en="dW", ja="dW")
DW_T, DB_SUM, DB_MEAN = MISTAKES["affine-dw-transpose"], MISTAKES["affine-db-not-summed"], MISTAKES["affine-db-mean"]


def _fail(value, expected, **kw) -> Fail:
    with pytest.raises(Fail) as info:
        assert_close(value, expected, WHAT, **kw)
    return info.value


def test_a_correct_value_never_names_a_mistake():
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    expected = x.T @ dout
    # even with a variant equal to the correct value, a passing value just passes
    got = assert_close(expected * (1 + 1e-6), expected, WHAT, variants={DW_T: expected, DB_MEAN: expected.copy()})
    assert got.shape == expected.shape


def test_a_mistake_of_another_shape_is_named_with_the_shape_message():
    rng = np.random.default_rng(1)
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    fail = _fail(dout.T @ x, x.T @ dout, variants=variants(affine_dw_transpose=dout.T @ x))
    assert fail.mistake is DW_T
    assert "shape (3, 4)" in fail.msg.en and "(4, 3)" in fail.msg.en and "形状" in fail.msg.ja
    # db not summed: (N, L) instead of (L,)
    fail = _fail(dout, dout.sum(axis=0), variants={DB_SUM: dout, DB_MEAN: dout.mean(axis=0)})
    assert fail.mistake is DB_SUM
    # a wrong shape that is no known mistake: the shape message alone
    fail = _fail(np.zeros((2, 2)), x.T @ dout, variants=variants(affine_dw_transpose=dout.T @ x))
    assert fail.mistake is None and "shape" in fail.msg.en


def test_the_variant_must_fit_better_than_the_correct_value():
    expected = np.array([1.0, 2.0, 3.0])
    near = expected * (1 + 3e-4)  # fails rtol 1e-4, but is far closer to the right answer than to the variant
    fail = _fail(near, expected, variants={DB_MEAN: expected * (1 + 1e-3)})
    assert fail.mistake is None
    # the same variant, when the value is on it
    fail = _fail(expected * (1 + 1e-3), expected, variants={DB_MEAN: expected * (1 + 1e-3)})
    assert fail.mistake is DB_MEAN


def test_the_closest_of_several_matching_variants_is_named():
    expected = np.array([1.0, 2.0, 3.0])
    got = 2 * expected
    fail = _fail(got, expected, variants={DB_MEAN: got * (1 + 5e-4), DB_SUM: got})
    assert fail.mistake is DB_SUM


def test_a_mistake_that_gives_nan_is_named_by_its_nan_pattern():
    nan_rows = np.array([[np.nan, np.nan], [0.25, 0.75]])
    expected = np.array([[0.5, 0.5], [0.25, 0.75]])
    mistake = MISTAKES["softmax-no-max-shift"]
    fail = _fail(nan_rows, expected, variants={mistake: nan_rows.copy()})
    assert fail.mistake is mistake
    assert "nan" in fail.msg.en
    # NaN somewhere else: not that mistake
    other = np.array([[0.5, 0.5], [np.nan, 0.75]])
    assert _fail(other, expected, variants={mistake: nan_rows}).mistake is None
    # a scalar loss
    assert match_variant(np.asarray(np.nan), {MISTAKES["ce-no-delta"]: float("nan")}, 1e-4, 1e-6,
                         np.asarray(1.5)) is MISTAKES["ce-no-delta"]


def test_without_a_known_mistake_the_generic_diagnosis_gives_the_ratio_and_the_first_difference():
    expected = np.arange(1.0, 7.0).reshape(2, 3)
    fail = _fail(3 * expected, expected, variants={DB_MEAN: expected / 2})
    assert fail.mistake is None
    assert "at [0, 0]" in fail.msg.en and "about 3 times" in fail.msg.en
    assert "約 3 倍" in fail.msg.ja


def test_variants_helper_skips_mistakes_that_cannot_show():
    assert variants(affine_db_mean=None, affine_db_not_summed=np.zeros(2)) == {DB_SUM: pytest.approx(np.zeros(2))}
    with pytest.raises(KeyError):
        variants(no_such_mistake=np.zeros(2))
