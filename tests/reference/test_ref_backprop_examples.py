import numpy as np

from reference import backprop_examples as ex

# The answers printed in §3.6 of the text.
TEXT_ANSWERS = {
    "ex1_1_dX": [4, 3, 4],
    "ex1_1_dW": [[4, 2], [-2, -1], [2, 1]],
    "ex1_2_dX": [-1, 0, 2],
    "ex1_2_dW": [[-1, 1], [0.5, -0.5], [-0.5, 0.5]],
    "ex2_dX": [[1, 0], [0, -1], [1, 1]],
    "ex2_db": [2, 0],
}


def test_computed_answers_match_the_text():
    for name, expected in TEXT_ANSWERS.items():
        np.testing.assert_allclose(np.squeeze(getattr(ex, name)), expected, atol=1e-12, err_msg=name)


def test_ex2_dX_is_dE_dY():
    np.testing.assert_array_equal(ex.ex2_dX, ex.dE_dY)
