"""The stochastic solvers: update rules, schedules, epochs and stopping.

The optimisers are held to their formulas by replaying them by hand; the epoch
driver to its stopping rule (scikit-learn's ``MLPClassifier`` rule) on scripted
losses; the mini-batch gradient to the full objective's.
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sk_softmax._objective import LinearSoftmaxLoss
from sk_softmax._objective._minibatch import batch_value_gradient
from sk_softmax._optim import (
    LearningRate,
    NonFiniteError,
    adam,
    iter_batches,
    minimize_stochastic,
    momentum_sgd,
    run_epoch,
)
from sk_softmax._penalty import ElasticNet


class Stepper:
    """An (init, update) optimiser driven step by step, its state threaded."""

    def __init__(self, optimizer):
        self.optimizer, self.state = optimizer, None

    def step(self, x, g, lr, prox=None):
        if self.state is None:
            self.state = self.optimizer.init(x)
        x, self.state = self.optimizer.update(self.state, x, g, lr, prox)
        return x


def MomentumSGD(*args, **kwargs):
    return Stepper(momentum_sgd(*args, **kwargs))


def Adam(*args, **kwargs):
    return Stepper(adam(*args, **kwargs))


def constant_rate(rate):
    return LearningRate.start("constant", rate)


def softmax_problem(n=90, d=4, k=3, seed=0, sparse=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.integers(0, k, size=n)
    w = rng.uniform(0.5, 2.0, size=n)
    return LinearSoftmaxLoss(X, y, k, sample_weight=w, penalty=ElasticNet(0.1, 0.5))


# ------------------------------------------------------------------ optimisers
@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_sgd_follows_its_formula(nesterov):
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(5, 3))
    lr, mu = 0.1, 0.8
    opt = MomentumSGD(momentum=mu, nesterov=nesterov)
    x = np.zeros(3)
    x_ref, v = np.zeros(3), np.zeros(3)
    for g in grads:
        x = opt.step(x, g, lr)
        v = mu * v - lr * g
        x_ref = x_ref + (mu * v - lr * g if nesterov else v)
        assert_allclose(x, x_ref, rtol=1e-15, atol=1e-15)


def test_momentum_zero_is_plain_sgd():
    opt = MomentumSGD(momentum=0.0)
    x = np.array([1.0, -2.0])
    g = np.array([0.5, 0.25])
    assert_array_equal(opt.step(x, g, 0.2), x - 0.2 * g)


def test_adam_follows_its_formula():
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(6, 4))
    lr, b1, b2, eps = 0.05, 0.8, 0.9, 1e-6
    opt = Adam(beta_1=b1, beta_2=b2, epsilon=eps)
    x = x_ref = np.ones(4)
    m = s = np.zeros(4)
    for t, g in enumerate(grads, start=1):
        x = opt.step(x, g, lr)
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * g**2
        m_hat, s_hat = m / (1 - b1**t), s / (1 - b2**t)
        x_ref = x_ref - lr * m_hat / (np.sqrt(s_hat) + eps)
        assert_allclose(x, x_ref, rtol=1e-12)


def test_adam_first_step_has_length_lr_per_coordinate():
    opt = Adam(epsilon=1e-12)
    x = opt.step(np.zeros(3), np.array([1e-6, -3.0, 1e3]), 0.01)
    assert_allclose(x, [-0.01, 0.01, -0.01], rtol=1e-6)


def test_proximal_steps_soft_threshold_with_the_step_they_took():
    def prox(x, step):
        return np.sign(x) * np.maximum(np.abs(x) - 0.5 * step, 0)

    g = np.array([1.0, -0.1, 0.05])
    x = MomentumSGD(momentum=0.0).step(np.zeros(3), g, 1.0, prox)
    assert_array_equal(x, [-0.5, 0.0, 0.0])
    adam = Adam(epsilon=0.0)
    steps = []

    def recording_prox(x, step):
        steps.append(np.array(step, copy=True))
        return prox(x, step)

    x = adam.step(np.zeros(3), g, 0.1, recording_prox)
    # Adam's first step moves every coordinate by lr along m_hat = g, so its
    # per-coordinate step, and the threshold, is lr / |g|.
    assert_allclose(steps[0], 0.1 / np.abs(g))
    assert_allclose(x, np.sign(-g) * np.maximum(0.1 - 0.05 / np.abs(g), 0))


# ------------------------------------------------------------------- schedules
def test_learning_rate_schedules():
    constant = LearningRate.start("constant", 0.3).advance(1000)
    assert constant.rate() == 0.3
    inv = LearningRate.start("invscaling", 0.3, power_t=0.5)
    assert inv.rate() == 0.3
    inv = inv.advance(99)
    assert inv.rate() == pytest.approx(0.03)
    adaptive = LearningRate.start("adaptive", 1.0)
    n_reductions = 0
    adaptive, more = adaptive.reduce()
    while more:
        n_reductions += 1
        adaptive, more = adaptive.reduce()
    # 5^8 < 1e6 < 5^9: eight reductions stay above 1e-6 of the start.
    assert n_reductions == 8
    assert adaptive.rate() == pytest.approx(5.0**-9)
    assert LearningRate.start("constant", 1.0).reduce()[1] is False


def test_iter_batches_cover_every_sample_once():
    rng = np.random.RandomState(0)
    batches = list(iter_batches(23, 5, rng))
    assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
    assert_array_equal(np.sort(np.concatenate(batches)), np.arange(23))
    ordered = list(iter_batches(7, 3))
    assert_array_equal(np.concatenate(ordered), np.arange(7))


# ------------------------------------------------------------ mini-batch loss
def test_batch_gradient_is_the_objective_on_the_batch():
    loss = softmax_problem()
    rows = np.array([3, 10, 11, 40, 77])
    coef = np.random.default_rng(2).normal(size=loss.n_dof)
    value, grad, share = batch_value_gradient(loss, coef, rows)
    data = loss.data
    sub = LinearSoftmaxLoss(
        data.X[rows],
        data.cross_entropy.labels.y[rows],
        3,
        sample_weight=data.weights64[rows],
        penalty=loss.penalty,
    )
    ref_value, ref_grad = sub.value_gradient(coef)
    assert value == pytest.approx(ref_value, rel=1e-13)
    assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-14)
    assert share == pytest.approx(loss.data.weights64[rows].sum())


def test_batch_gradients_average_to_the_full_gradient():
    loss = softmax_problem()
    coef = np.random.default_rng(3).normal(size=loss.n_dof)
    full_value, full_grad = loss.value_gradient(coef)
    total_value, total_grad = 0.0, np.zeros(loss.n_dof)
    for rows in iter_batches(90, 20, np.random.RandomState(0)):
        value, grad, share = batch_value_gradient(loss, coef, rows)
        total_value += share * value
        total_grad += share * grad
    assert total_value == pytest.approx(full_value, rel=1e-13)
    assert_allclose(total_grad, full_grad, rtol=1e-12, atol=1e-14)


def test_batch_without_weight_is_skipped():
    X = np.eye(4)
    loss = LinearSoftmaxLoss(X, np.array([0, 1, 2, 0]), 3, sample_weight=[1, 1, 0, 0])
    assert batch_value_gradient(loss, np.zeros(loss.n_dof), np.array([2, 3])) is None


# ------------------------------------------------------------ the epoch driver
class ScriptedLoss:
    """A 'loss' whose epoch values follow a script: tests the stopping rule."""

    def __init__(self, values):
        self.values = list(values)
        self.epoch = 0

    def batch_value_gradient(self, x, rows):
        return self.values[min(self.epoch, len(self.values) - 1)], np.zeros_like(x), 1.0

    def callback(self, *args):
        self.epoch += 1


def run_script(values, **kwargs):
    script = ScriptedLoss(values)
    params = {
        "optimizer": momentum_sgd(0.0),
        "schedule": constant_rate(0.1),
        "batch_size": 10,
        "tol": 0.01,
        "n_iter_no_change": 3,
        "max_iter": 100,
        "callback": script.callback,
        **kwargs,
    }
    return minimize_stochastic(script.batch_value_gradient, np.zeros(2), 10, **params)[
        0
    ]


def test_stops_after_n_iter_no_change_epochs_without_improvement():
    # improves, improves, then three epochs within tol of the best: stop.
    result = run_script([1.0, 0.5, 0.495, 0.499, 0.49])
    assert result.converged
    assert result.n_iter == 5
    assert result.history == [1.0, 0.5, 0.495, 0.499, 0.49]
    assert result.stochastic and math.isnan(result.grad_norm)


def test_an_improvement_resets_the_count():
    result = run_script([1.0, 0.999, 0.998, 0.5, 0.499, 0.498, 0.497])
    assert result.converged
    assert result.n_iter == 7


def test_max_iter_without_convergence():
    result = run_script(np.linspace(10, 0, 50), max_iter=20)
    assert not result.converged
    assert result.n_iter == 20
    assert "maximum number of epochs" in result.message


def test_adaptive_schedule_reduces_instead_of_stopping():
    schedule = LearningRate.start("adaptive", 1.0)
    rates = []
    script = ScriptedLoss([1.0])

    def callback(n_iter, loss, validation, rate, x):
        rates.append(rate)

    result, _, _ = minimize_stochastic(
        script.batch_value_gradient,
        np.zeros(2),
        10,
        optimizer=momentum_sgd(0.0),
        schedule=schedule,
        batch_size=10,
        tol=0.01,
        n_iter_no_change=2,
        max_iter=100,
        callback=callback,
    )
    assert result.converged
    # first epoch sets the best; then every 2 epochs without change divide by 5,
    # nine times; the ninth exhausts the schedule (the callback runs before).
    assert result.n_iter == 1 + 2 * 9
    assert rates[:3] == [1.0, 1.0, 1.0]
    assert rates[3] == pytest.approx(0.2)
    assert rates[-1] == pytest.approx(5.0**-8)


def test_early_stopping_returns_the_best_epoch():
    # x moves by -0.1 per epoch (gradient 1, lr 0.1); validation is best at x=-0.3
    def batch_value_gradient(x, rows):
        return 1.0, np.ones_like(x), 1.0

    def validation(x):
        return float((x[0] + 0.3) ** 2)

    result, _, _ = minimize_stochastic(
        batch_value_gradient,
        np.zeros(1),
        4,
        optimizer=momentum_sgd(0.0),
        schedule=constant_rate(0.1),
        batch_size=4,
        validation_loss=validation,
        tol=1e-6,
        n_iter_no_change=4,
        max_iter=100,
    )
    assert result.converged
    assert result.n_iter == 7  # best at epoch 3, then 4 without improvement
    assert len(result.validation_history) == 7
    assert_allclose(result.x, [-0.3], rtol=1e-12)
    assert result.validation_history[2] == min(result.validation_history)


def test_callback_can_stop_an_epoch_loop():
    result = run_script(np.linspace(10, 0, 50), callback=lambda n, *a: n == 4)
    assert result.n_iter == 4
    assert not result.converged
    assert result.message == "stopped by callback"


def test_overflow_raises_a_non_finite_error():
    def batch_value_gradient(x, rows):
        return 1.0, np.full_like(x, 1e308), 1.0

    x0 = np.zeros(2)
    with pytest.raises(NonFiniteError, match="learning rate is too large"):
        run_epoch(
            batch_value_gradient,
            x0,
            momentum_sgd(0.9),
            constant_rate(1e10),
            iter_batches(30, 10),
        )
    assert_array_equal(x0, 0.0)


def test_plain_full_batch_sgd_is_gradient_descent():
    loss = softmax_problem()
    data = loss.data
    loss = LinearSoftmaxLoss(
        data.X, data.cross_entropy.labels.y, 3, sample_weight=data.weights64
    )
    lr = loss.initial_step()
    x = np.zeros(loss.n_dof)
    x_ref = x.copy()
    opt, schedule, state = momentum_sgd(0.0), constant_rate(lr), None
    for _ in range(5):
        x, _, state, schedule = run_epoch(
            lambda x, rows: batch_value_gradient(loss, x, rows),
            x,
            opt,
            schedule,
            iter_batches(90, 90),
            state=state,
        )
        x_ref = x_ref - lr * loss.value_gradient(x_ref)[1]
    assert_allclose(x, x_ref, rtol=1e-12, atol=1e-15)
