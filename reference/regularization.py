"""Parameter norm penalties of §9.1, over the weight matrices only."""

import numpy as np


def l2_penalty(weights, alpha):
    """α Σ_l sum(W_l ∗ W_l)."""
    return float(alpha * sum(np.sum(W * W) for W in weights))


def l2_penalty_grad(W, alpha):
    return 2 * alpha * W


def l1_penalty(weights, alpha):
    """α Σ_l sum(|W_l|)."""
    return float(alpha * sum(np.sum(np.abs(W)) for W in weights))


def l1_penalty_grad(W, alpha):
    return alpha * np.sign(W)
