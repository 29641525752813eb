import numpy as np
import pytest

from reference.optimizers import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop, trajectory


def run(optimizer, steps, start=(1.0, -2.0), grad=(0.5, 3.0)):
    params = {"w": np.array(start)}
    grads = {"w": np.array(grad)}
    for _ in range(steps):
        optimizer.update(params, grads)
    return params["w"]


# Values worked by hand for θ = (1, −2) and the constant gradient g = (0.5, 3).
@pytest.mark.parametrize(
    "optimizer_class,kwargs,steps,expected",
    [
        (SGD, {"lr": 0.1}, 1, [0.95, -2.3]),
        (SGD, {"lr": 0.1}, 2, [0.9, -2.6]),
        (Momentum, {"lr": 0.1, "momentum": 0.9}, 1, [0.95, -2.3]),
        (Momentum, {"lr": 0.1, "momentum": 0.9}, 2, [0.855, -2.87]),  # v = −0.19 g
        (Nesterov, {"lr": 0.1, "momentum": 0.9}, 1, [0.905, -2.57]),  # −(1 + α) λ g
        (Nesterov, {"lr": 0.1, "momentum": 0.9}, 2, [0.7695, -3.383]),  # + α² v − (1 + α) λ g, v = −λ g
        (AdaGrad, {"lr": 0.1}, 1, [0.9, -2.1]),  # λ g / |g|
        (AdaGrad, {"lr": 0.1}, 2, [0.9 - 0.1 / np.sqrt(2), -2.1 - 0.1 / np.sqrt(2)]),
        (RMSprop, {"lr": 0.01, "decay_rate": 0.99}, 1, [0.9, -2.1]),  # √h = 0.1 |g|
        (RMSprop, {"lr": 0.01, "decay_rate": 0.99}, 2, [0.9 - 0.01 / np.sqrt(0.0199), -2.1 - 0.01 / np.sqrt(0.0199)]),
        (Adam, {"lr": 0.1}, 1, [0.9, -2.1]),  # s̃ = g, r̃ = g·g
        (Adam, {"lr": 0.1}, 3, [0.7, -2.3]),
        (Adam, {"lr": 0.1, "form": "implementation"}, 1, [0.9, -2.1]),
        (Adam, {"lr": 0.1, "form": "implementation"}, 3, [0.7, -2.3]),
    ],
)
def test_steps_by_hand(optimizer_class, kwargs, steps, expected):
    np.testing.assert_allclose(run(optimizer_class(**kwargs), steps), expected, rtol=1e-6)


@pytest.mark.parametrize("form", ["original", "implementation"])
def test_adam_with_changing_gradient(form):
    optimizer = Adam(lr=0.1, form=form)
    params = {"w": np.array([0.0])}
    optimizer.update(params, {"w": np.array([1.0])})
    optimizer.update(params, {"w": np.array([-1.0])})
    # Step 2: s = −0.01, r = 0.001999, so s̃ = −0.01 / 0.19 and r̃ = 1.
    np.testing.assert_allclose(params["w"], [-0.1 + 0.1 * 0.01 / 0.19], rtol=1e-6)


ALL = [SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam, lambda: Adam(form="implementation")]


@pytest.mark.parametrize("make", ALL)
def test_update_is_in_place_and_leaves_grads_alone(make):
    optimizer = make()
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    grads = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    arrays = dict(params)
    before = {key: val.copy() for key, val in params.items()}
    grads_before = {key: val.copy() for key, val in grads.items()}
    for _ in range(2):
        optimizer.update(params, grads)
    for key in params:
        assert params[key] is arrays[key]
        assert not np.array_equal(params[key], before[key])
        np.testing.assert_array_equal(grads[key], grads_before[key])


def test_state_is_lazy_and_step_count_is_per_call():
    momentum, adam = Momentum(), Adam()
    assert momentum.v is None and adam.s is None and adam.t == 0
    params = {"a": np.array([1.0]), "b": np.array([2.0]), "c": np.array([3.0])}
    grads = {"a": np.array([1.0]), "b": np.array([-2.0]), "c": np.array([4.0])}
    for _ in range(3):
        adam.update(params, grads)
    assert adam.t == 3
    # A constant gradient moves every key by exactly λ per correctly counted step.
    np.testing.assert_allclose([params["a"][0], params["b"][0], params["c"][0]], [0.997, 2.003, 2.997], rtol=1e-7)


def test_trajectory_of_plain_gradient_descent():
    lr = 0.004
    path = trajectory(SGD(lr=lr), 20)
    k = np.arange(21)
    assert path.shape == (21, 2)
    np.testing.assert_allclose(path[:, 0], 10 * (1 - 2 * lr) ** k)
    np.testing.assert_allclose(path[:, 1], (1 - 200 * lr) ** k)


def test_adam_forms_agree_on_the_texts_experiment():
    original = trajectory(Adam(lr=0.1), 30)
    implementation = trajectory(Adam(lr=0.1, form="implementation"), 30)
    np.testing.assert_allclose(original, implementation, rtol=1e-6, atol=1e-6)
    assert abs(original[-1, 0]) < 10


def test_nesterov_follows_pytorch_nesterov_recurrence():
    lr, mu = 0.004, 0.9
    # torch.optim.SGD(momentum=mu, nesterov=True, dampening=0): b ← μb + g; θ ← θ − λ(g + μb).
    theta, buf = np.array([10.0, 1.0]), np.zeros(2)
    expected = [theta.copy()]
    for _ in range(40):
        g = np.array([2.0, 200.0]) * theta
        buf = mu * buf + g
        theta = theta - lr * (g + mu * buf)
        expected.append(theta.copy())
    np.testing.assert_allclose(trajectory(Nesterov(lr=lr, momentum=mu), 40), expected, rtol=1e-10, atol=1e-12)


def test_momentum_matches_the_texts_combined_form():
    # §6.1: θ_{t+1} = θ_t + α v_t − λ g_t with v_t = θ_t − θ_{t−1}.
    lr, alpha = 0.004, 0.9
    theta, previous = np.array([10.0, 1.0]), np.array([10.0, 1.0])
    expected = [theta.copy()]
    for _ in range(40):
        g = np.array([2.0, 200.0]) * theta
        theta, previous = theta + alpha * (theta - previous) - lr * g, theta
        expected.append(theta.copy())
    np.testing.assert_allclose(trajectory(Momentum(lr=lr, momentum=alpha), 40), expected, rtol=1e-10, atol=1e-12)
