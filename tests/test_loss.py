"""Tests of the softmax regression objective and the elastic-net penalty.

The objective (docs/developer/architecture.rst), with ``k = K`` coefficient rows
for ``K >= 3`` classes and ``k = 1`` for ``K = 2`` (class 0 is the reference
class, its logit fixed at 0)::

    F(W, b) = (1 / sum_i s_i) * sum_i s_i * (logsumexp(Z_i) - Z_{i, y_i})
              + alpha * ((1 - l1_ratio) / 2 * ||W||_F^2 + l1_ratio * ||W||_1)

``LinearSoftmaxLoss`` holds the smooth part (cross-entropy plus the L2 term); the
L1 term is ``nonsmooth_value`` / ``prox``. The tests read ``(W, b)`` out of a flat
coefficient vector with ``loss.unpack`` (checked on its own to be a pair of views
that partition the vector), so they hold whatever packing the loss documents.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp

from sk_softmax._objective import LinearSoftmaxLoss
from sk_softmax._penalty import ElasticNet

N_SAMPLES, N_FEATURES = 25, 4
L1_RATIO = 0.4

sparse_param = pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
weights_param = pytest.mark.parametrize("weighted", [False, True], ids=["sw1", "sw"])
intercept_param = pytest.mark.parametrize(
    "fit_intercept", [True, False], ids=["fi", "nofi"]
)
classes_param = pytest.mark.parametrize("n_classes", [2, 4], ids=["K2", "K4"])
alpha_param = pytest.mark.parametrize("alpha", [0.0, 0.3], ids=["a0", "a.3"])


def all_params(f):
    """Parametrise over sparse x weights x intercept x classes x alpha."""
    for mark in (sparse_param, weights_param, intercept_param, classes_param):
        f = mark(f)
    return alpha_param(f)


def make_data(n_classes, weighted, seed=0, n=N_SAMPLES, d=N_FEATURES):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[rng.random((n, d)) < 0.3] = 0.0  # some structural zeros for CSR
    y = np.arange(n) % n_classes
    rng.shuffle(y)
    sw = rng.uniform(0.1, 3.0, size=n) if weighted else None
    return X, y, sw


def make_loss(X, y, n_classes, sw, fit_intercept, alpha, sparse, dtype=np.float64):
    X = X.astype(dtype)
    if sparse:
        X = sp.csr_matrix(X)
    penalty = ElasticNet(alpha=alpha, l1_ratio=L1_RATIO)
    return LinearSoftmaxLoss(
        X,
        y,
        n_classes,
        sample_weight=sw,
        fit_intercept=fit_intercept,
        penalty=penalty,
    )


def random_coef(loss, seed=1, scale=0.7):
    return np.random.default_rng(seed).normal(scale=scale, size=loss.n_dof)


def unpack64(loss, coef):
    """``(W, b)`` of ``coef`` as float64 copies; ``b`` is zeros without intercept."""
    W, b = loss.unpack(np.asarray(coef))
    k = loss.n_dof // (N_FEATURES + loss.layout.fit_intercept)
    b = np.zeros(k) if b is None else np.array(b, dtype=np.float64)
    return np.array(W, dtype=np.float64), b


def pack(loss, W, b=None):
    """Flat vector holding ``W`` and ``b`` where ``loss.unpack`` reads them."""
    coef = np.zeros(loss.n_dof)
    W_view, b_view = loss.unpack(coef)
    W_view[...] = W
    if b_view is not None:
        b_view[...] = b
    return coef


def naive_logits(loss, X, coef, n_classes):
    """All K logits (n, K); for K = 2 the reference class's logit is 0."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X)
    W, b = unpack64(loss, coef)
    Z = X.astype(np.float64) @ W.T + b
    if n_classes == 2:
        Z = np.column_stack([np.zeros(len(X)), Z[:, 0]])
    return Z


def naive_objective(loss, X, y, coef, n_classes, sw, alpha, l1_ratio):
    """The whole objective, smooth and non-smooth parts separately."""
    Z = naive_logits(loss, X, coef, n_classes)
    s = np.ones(len(y)) if sw is None else np.asarray(sw, dtype=np.float64)
    ce = logsumexp(Z, axis=1) - Z[np.arange(len(y)), y]
    W, _ = unpack64(loss, coef)
    smooth = np.sum(s * ce) / np.sum(s) + alpha * (1 - l1_ratio) / 2 * np.sum(W**2)
    nonsmooth = alpha * l1_ratio * np.sum(np.abs(W))
    return smooth, nonsmooth


def five_point(f, x, v, h):
    """Five-point stencil for the derivative of ``f`` at ``x`` along ``v``."""
    return (
        f(x - 2 * h * v) - 8 * f(x - h * v) + 8 * f(x + h * v) - f(x + 2 * h * v)
    ) / (12 * h)


# ------------------------------------------------------------------------- shape
@classes_param
@intercept_param
def test_coefficient_layout(n_classes, fit_intercept):
    X, y, _ = make_data(n_classes, False)
    loss = make_loss(X, y, n_classes, None, fit_intercept, 0.0, False)
    k = 1 if n_classes == 2 else n_classes  # binary: one row, class 0 reference
    assert loss.n_dof == k * (N_FEATURES + fit_intercept)
    index = np.arange(loss.n_dof, dtype=np.float64)
    W, b = loss.unpack(index)
    assert W.shape == (k, N_FEATURES)
    if fit_intercept:
        assert b.shape == (k,)
        used = np.concatenate([W.ravel(), b])
    else:
        assert b is None
        used = W.ravel()
    # W and b partition the flat vector: every entry is read exactly once ...
    assert_array_equal(np.sort(used), index)
    # ... through views, so writing into them writes into the vector.
    coef = np.zeros(loss.n_dof)
    W, b = loss.unpack(coef)
    W[...] = 1.0
    if fit_intercept:
        b[...] = 2.0
    assert np.count_nonzero(coef == 1.0) == k * N_FEATURES
    assert np.count_nonzero(coef == 2.0) == k * fit_intercept
    # pack is the inverse of unpack; without intercept b is ignored.
    rng = np.random.default_rng(0)
    W_in, b_in = rng.normal(size=(k, N_FEATURES)), rng.normal(size=k)
    packed = loss.pack(W_in, b_in)
    assert packed.shape == (loss.n_dof,)
    W_out, b_out = loss.unpack(packed)
    assert_array_equal(W_out, W_in)
    if fit_intercept:
        assert_array_equal(b_out, b_in)
        assert_array_equal(loss.unpack(loss.pack(W_in))[1], 0)


@all_params
def test_raw_is_the_free_logits(sparse, weighted, fit_intercept, n_classes, alpha):
    X, y, sw = make_data(n_classes, weighted)
    loss = make_loss(X, y, n_classes, sw, fit_intercept, alpha, sparse)
    coef = random_coef(loss)
    raw = loss.raw(coef)
    Z = naive_logits(loss, X, coef, n_classes)
    free = Z[:, 1:] if n_classes == 2 else Z
    # Class-major: one row of logits per free class.
    assert isinstance(raw, np.ndarray)
    assert raw.shape == (free.shape[1], N_SAMPLES)
    assert_allclose(raw, free.T, rtol=1e-13, atol=1e-15)
    # raw is linear in coef (the solver relies on it).
    other = random_coef(loss, seed=2)
    assert_allclose(
        loss.raw(2.0 * coef - 3.0 * other),
        2.0 * raw - 3.0 * loss.raw(other),
        rtol=1e-12,
        atol=1e-12,
    )


# ------------------------------------------------------------------------- value
@all_params
def test_value_matches_naive_objective(
    sparse, weighted, fit_intercept, n_classes, alpha
):
    X, y, sw = make_data(n_classes, weighted)
    loss = make_loss(X, y, n_classes, sw, fit_intercept, alpha, sparse)
    for seed in range(3):
        coef = random_coef(loss, seed=seed, scale=1.5)
        smooth, nonsmooth = naive_objective(
            loss, X, y, coef, n_classes, sw, alpha, L1_RATIO
        )
        assert loss.value(coef) == pytest.approx(smooth, rel=1e-13)
        assert loss.nonsmooth_value(coef) == pytest.approx(nonsmooth, rel=1e-13)
        if alpha == 0:
            assert loss.nonsmooth_value(coef) == 0


@classes_param
@intercept_param
def test_value_at_zero_is_log_n_classes(n_classes, fit_intercept):
    X, y, sw = make_data(n_classes, True)
    loss = make_loss(X, y, n_classes, sw, fit_intercept, 0.3, False)
    assert loss.value(np.zeros(loss.n_dof)) == pytest.approx(np.log(n_classes))


@classes_param
def test_value_stable_for_huge_logits(n_classes):
    # Logits of order 1e4 (as in STYLE.md): the value is finite and exact.
    X, y, _ = make_data(n_classes, False)
    loss = make_loss(X, y, n_classes, None, True, 0.0, False)
    coef = random_coef(loss) * 1e4
    value, grad = loss.value_gradient(coef)
    assert np.isfinite(value)
    assert np.all(np.isfinite(grad))
    smooth, _ = naive_objective(loss, X, y, coef, n_classes, None, 0.0, L1_RATIO)
    assert value == pytest.approx(smooth, rel=1e-12)


# ---------------------------------------------------------------------- gradient
@all_params
def test_gradient_finite_differences(sparse, weighted, fit_intercept, n_classes, alpha):
    X, y, sw = make_data(n_classes, weighted)
    loss = make_loss(X, y, n_classes, sw, fit_intercept, alpha, sparse)
    coef = random_coef(loss)
    _, grad = loss.value_gradient(coef)
    rng = np.random.default_rng(42)
    h = 1e-3
    # Random unit directions: O(h^4) truncation, O(eps / h) rounding.
    for _ in range(3):
        v = rng.normal(size=loss.n_dof)
        v /= np.linalg.norm(v)
        fd = five_point(loss.value, coef, v, h)
        assert grad @ v == pytest.approx(fd, rel=1e-7, abs=1e-9)
    # Coordinates, including every intercept and the last coefficient.
    coords = set(rng.choice(loss.n_dof, size=3, replace=False).tolist())
    coords.add(loss.n_dof - 1)
    if fit_intercept:
        intercepts = loss.unpack(np.arange(loss.n_dof))[1]
        coords.update(intercepts.tolist())
    for j in sorted(coords):
        e = np.zeros(loss.n_dof)
        e[j] = 1.0
        fd = five_point(loss.value, coef, e, h)
        assert grad[j] == pytest.approx(fd, rel=1e-7, abs=1e-9)


@all_params
def test_gradient_matches_design_formula(
    sparse, weighted, fit_intercept, n_classes, alpha
):
    # grad_W = G.T X + l2 W, grad_b = sum_i G_i, G = S (P - Y) / sum(s).
    X, y, sw = make_data(n_classes, weighted)
    loss = make_loss(X, y, n_classes, sw, fit_intercept, alpha, sparse)
    coef = random_coef(loss)
    Z = naive_logits(loss, X, coef, n_classes)
    P = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
    Y = np.eye(n_classes)[y]
    s = np.ones(len(y)) if sw is None else sw
    G = s[:, None] * (P - Y) / s.sum()
    if n_classes == 2:
        G = G[:, 1:]
    W, _ = unpack64(loss, coef)
    grad_W = G.T @ X + alpha * (1 - L1_RATIO) * W
    expected = pack(loss, grad_W, G.sum(axis=0))
    _, grad = loss.value_gradient(coef)
    assert grad.shape == (loss.n_dof,)
    assert_allclose(grad, expected, rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------- hessian
@all_params
def test_hessp_matches_slope_of_gradient(
    sparse, weighted, fit_intercept, n_classes, alpha
):
    X, y, sw = make_data(n_classes, weighted)
    loss = make_loss(X, y, n_classes, sw, fit_intercept, alpha, sparse)
    coef = random_coef(loss)
    _, _, hessp = loss.gradient_hessian_product(coef)

    def grad(c):
        return loss.value_gradient(c)[1]

    rng = np.random.default_rng(7)
    directions = rng.normal(size=(3, loss.n_dof))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    # hessp is valid until the next call of a method of the loss: use it first.
    products = [hessp(v) for v in directions]
    for v, hv in zip(directions, products, strict=True):
        assert hv.shape == (loss.n_dof,)
        assert_allclose(hv, five_point(grad, coef, v, 1e-3), rtol=1e-7, atol=1e-9)


@all_params
def test_hessp_symmetric_and_psd(sparse, weighted, fit_intercept, n_classes, alpha):
    X, y, sw = make_data(n_classes, weighted)
    loss = make_loss(X, y, n_classes, sw, fit_intercept, alpha, sparse)
    coef = random_coef(loss, scale=1.5)
    _, _, hessp = loss.gradient_hessian_product(coef)
    rng = np.random.default_rng(3)
    l2 = alpha * (1 - L1_RATIO)
    for _ in range(5):
        u, v = rng.normal(size=(2, loss.n_dof))
        uHv, vHu = u @ hessp(v), v @ hessp(u)
        assert uHv == pytest.approx(vHu, rel=1e-12, abs=1e-15)
        # The cross-entropy part is PSD, so v'Hv >= l2 ||V||^2 (weights only).
        V = loss.unpack(v)[0]
        assert v @ hessp(v) >= l2 * np.sum(V**2) - 1e-12 * (v @ v)
    # Dense Hessian: symmetric, PSD, and 1 / initial_step bounds its spectrum.
    H = np.column_stack([hessp(e) for e in np.eye(loss.n_dof)])
    assert_allclose(H, H.T, rtol=1e-12, atol=1e-15)
    eig = np.linalg.eigvalsh(H)
    assert eig.min() >= -1e-12
    assert eig.max() <= 1 / loss.initial_step() * (1 + 1e-12)


@all_params
def test_fused_methods_agree(sparse, weighted, fit_intercept, n_classes, alpha):
    X, y, sw = make_data(n_classes, weighted)
    loss = make_loss(X, y, n_classes, sw, fit_intercept, alpha, sparse)
    coef = random_coef(loss)
    value = loss.value(coef)
    value_vg, grad_vg = loss.value_gradient(coef)
    value_gh, grad_gh, _ = loss.gradient_hessian_product(coef)
    assert value_vg == pytest.approx(value, rel=1e-15)
    assert value_gh == pytest.approx(value, rel=1e-15)
    assert_allclose(grad_gh, grad_vg, rtol=1e-15, atol=0)

    # Passing raw = loss.raw(coef) changes nothing.
    raw = loss.raw(coef)
    raw_copy = raw.copy()
    assert loss.value(coef, raw=raw) == pytest.approx(value, rel=1e-15)
    v_raw, g_raw = loss.value_gradient(coef, raw=raw)
    assert v_raw == pytest.approx(value, rel=1e-15)
    assert_allclose(g_raw, grad_vg, rtol=1e-15, atol=0)
    v_raw, g_raw, hessp_raw = loss.gradient_hessian_product(coef, raw=raw)
    assert v_raw == pytest.approx(value, rel=1e-15)
    assert_allclose(g_raw, grad_vg, rtol=1e-15, atol=0)
    assert_array_equal(raw, raw_copy)  # raw is not modified in place

    # Repeated products from one hessp do not disturb each other.
    rng = np.random.default_rng(5)
    u, v = rng.normal(size=(2, loss.n_dof))
    hv = hessp_raw(v)
    hu = hessp_raw(u)
    assert_array_equal(hessp_raw(v), hv)
    assert_allclose(hessp_raw(u + v), hu + hv, rtol=1e-12, atol=1e-15)
    # And equal those of a hessp built without raw (a fresh evaluation).
    _, _, hessp = loss.gradient_hessian_product(coef)
    assert_allclose(hessp(v), hv, rtol=1e-14, atol=1e-17)

    # No method modifies the coefficients it is given.
    coef_copy = coef.copy()
    loss.value_gradient(coef)
    loss.prox(coef, 0.5)
    assert_array_equal(coef, coef_copy)


# ----------------------------------------------------------------- sample weights
@sparse_param
@intercept_param
@classes_param
@alpha_param
def test_integer_weights_equal_repeated_rows(sparse, fit_intercept, n_classes, alpha):
    X, y, _ = make_data(n_classes, False)
    rng = np.random.default_rng(11)
    sw = rng.integers(0, 4, size=len(y))  # zero weight = row dropped
    sw[:3] = [0, 1, 3]
    rows = np.repeat(np.arange(len(y)), sw)
    loss_w = make_loss(X, y, n_classes, sw, fit_intercept, alpha, sparse)
    loss_r = make_loss(X[rows], y[rows], n_classes, None, fit_intercept, alpha, sparse)
    coef = random_coef(loss_w)
    v_w, g_w, hessp_w = loss_w.gradient_hessian_product(coef)
    v_r, g_r, hessp_r = loss_r.gradient_hessian_product(coef)
    assert v_w == pytest.approx(v_r, rel=1e-12)
    assert_allclose(g_w, g_r, rtol=1e-12, atol=1e-14)
    direction = rng.normal(size=loss_w.n_dof)
    assert_allclose(hessp_w(direction), hessp_r(direction), rtol=1e-12, atol=1e-14)


@classes_param
@intercept_param
def test_weights_are_scale_invariant(n_classes, fit_intercept):
    X, y, sw = make_data(n_classes, True)
    loss_a = make_loss(X, y, n_classes, sw, fit_intercept, 0.3, False)
    loss_b = make_loss(X, y, n_classes, 7.5 * sw, fit_intercept, 0.3, False)
    coef = random_coef(loss_a)
    v_a, g_a = loss_a.value_gradient(coef)
    v_b, g_b = loss_b.value_gradient(coef)
    assert v_a == pytest.approx(v_b, rel=1e-14)
    assert_allclose(g_a, g_b, rtol=1e-13, atol=1e-16)


# ------------------------------------------------------------------- dense / CSR
@weights_param
@intercept_param
@classes_param
@alpha_param
def test_dense_and_csr_agree(weighted, fit_intercept, n_classes, alpha):
    X, y, sw = make_data(n_classes, weighted)
    dense = make_loss(X, y, n_classes, sw, fit_intercept, alpha, False)
    csr = make_loss(X, y, n_classes, sw, fit_intercept, alpha, True)
    coef = random_coef(dense)
    v_d, g_d, hessp_d = dense.gradient_hessian_product(coef)
    v_s, g_s, hessp_s = csr.gradient_hessian_product(coef)
    assert v_d == pytest.approx(v_s, rel=1e-14)
    assert_allclose(g_d, g_s, rtol=1e-13, atol=1e-16)
    direction = np.random.default_rng(0).normal(size=dense.n_dof)
    assert_allclose(hessp_d(direction), hessp_s(direction), rtol=1e-13, atol=1e-16)
    assert dense.initial_step() == pytest.approx(csr.initial_step(), rel=1e-14)


# --------------------------------------------------------------------- intercept
@sparse_param
@weights_param
@classes_param
def test_intercept_not_penalised(sparse, weighted, n_classes):
    X, y, sw = make_data(n_classes, weighted)
    alpha = 0.3
    free = make_loss(X, y, n_classes, sw, True, 0.0, sparse)
    penalised = make_loss(X, y, n_classes, sw, True, alpha, sparse)
    coef = random_coef(free)
    free.unpack(coef)[1][...] = 5.0  # a large intercept
    W = free.unpack(coef)[0]
    l2, l1 = alpha * (1 - L1_RATIO), alpha * L1_RATIO
    v0, g0, hessp0 = free.gradient_hessian_product(coef)
    v1, g1, hessp1 = penalised.gradient_hessian_product(coef)
    assert v1 - v0 == pytest.approx(l2 / 2 * np.sum(W**2), rel=1e-12)
    assert penalised.nonsmooth_value(coef) == pytest.approx(l1 * np.abs(W).sum())
    diff_W, diff_b = free.unpack(g1 - g0)
    assert_allclose(diff_W, l2 * W, rtol=1e-12, atol=1e-15)
    assert_array_equal(diff_b, 0)
    e_b = np.zeros(free.n_dof)
    free.unpack(e_b)[1][...] = 1.0
    assert_allclose(hessp1(e_b), hessp0(e_b), rtol=1e-14, atol=1e-16)
    # Changing the intercept alone changes the penalty by nothing.
    shifted = coef.copy()
    free.unpack(shifted)[1][...] = -3.0
    assert penalised.value(shifted) - free.value(shifted) == pytest.approx(
        v1 - v0, rel=1e-12
    )


# ----------------------------------------------------------------------- float32
@all_params
def test_float32(sparse, weighted, fit_intercept, n_classes, alpha):
    X, y, sw = make_data(n_classes, weighted)
    loss32 = make_loss(X, y, n_classes, sw, fit_intercept, alpha, sparse, np.float32)
    loss64 = make_loss(X, y, n_classes, sw, fit_intercept, alpha, sparse)
    coef = random_coef(loss64).astype(np.float32)
    coef64 = coef.astype(np.float64)
    v32, g32 = loss32.value_gradient(coef)
    v64, g64 = loss64.value_gradient(coef64)
    assert g32.dtype == np.float32
    assert loss32.raw(coef).dtype == np.float32
    # float32 rounding (eps ~ 1.2e-7) accumulated over N_SAMPLES terms.
    assert v32 == pytest.approx(v64, rel=1e-5)
    assert_allclose(g32, g64, rtol=1e-4, atol=1e-5)
    _, g32h, hessp32 = loss32.gradient_hessian_product(coef)
    _, _, hessp64 = loss64.gradient_hessian_product(coef64)
    assert g32h.dtype == np.float32
    direction = np.random.default_rng(0).normal(size=loss32.n_dof)
    hv32 = hessp32(direction.astype(np.float32))
    assert hv32.dtype == np.float32
    assert_allclose(hv32, hessp64(direction), rtol=1e-4, atol=1e-5)
    # A float64 coefficient vector still gives a float32 gradient.
    assert loss32.value_gradient(coef64)[1].dtype == np.float32
    assert loss32.prox(coef, 0.1).dtype == np.float32


# ------------------------------------------------------------------- ElasticNet
def test_elastic_net_strengths_and_value():
    pen = ElasticNet(alpha=2.0, l1_ratio=0.25)
    assert pen.l2 == pytest.approx(1.5)
    assert pen.l1 == pytest.approx(0.5)
    W = np.array([[1.0, -2.0, 0.0], [0.5, 0.0, -0.5]])
    assert pen.smooth_value(W) == pytest.approx(0.75 * 5.5)
    assert pen.nonsmooth_value(W) == pytest.approx(0.5 * 4.0)
    assert pen.value(W) == pytest.approx(0.75 * 5.5 + 2.0)
    # alpha * ((1 - l1_ratio) / 2 ||W||^2 + l1_ratio ||W||_1) for any mixing.
    for l1_ratio in (0.0, 0.3, 1.0):
        pen = ElasticNet(alpha=0.7, l1_ratio=l1_ratio)
        expected = 0.7 * ((1 - l1_ratio) / 2 * 5.5 + l1_ratio * 4.0)
        assert pen.value(W) == pytest.approx(expected, rel=1e-15)
    assert ElasticNet().value(W) == 0


def test_elastic_net_prox_is_soft_thresholding():
    pen = ElasticNet(alpha=2.0, l1_ratio=0.5)  # l1 = 1
    W = np.array([[3.0, -0.5, -2.0], [0.25, 0.0, 0.75]])
    out = pen.prox(W, 0.5)  # threshold 0.5
    assert_allclose(out, [[2.5, 0.0, -1.5], [0.0, 0.0, 0.25]], rtol=0, atol=0)
    assert_array_equal(W, [[3.0, -0.5, -2.0], [0.25, 0.0, 0.75]])  # not in place
    assert out is not W
    # No L1 part: the identity.
    assert_array_equal(ElasticNet(alpha=1.0, l1_ratio=0.0).prox(W, 10.0), W)


@pytest.mark.parametrize("step", [0.01, 0.3, 2.0])
def test_elastic_net_prox_optimality(step):
    # u = prox(W) minimises 1/2 ||u - W||^2 + step * l1 * ||u||_1, i.e.
    # W - u = step * l1 * sign(u) where u != 0 and |W| <= step * l1 where u == 0.
    pen = ElasticNet(alpha=0.8, l1_ratio=0.6)
    W = np.random.default_rng(0).normal(size=(3, 50))
    u = pen.prox(W, step)
    thr = step * pen.l1
    nz = u != 0
    assert_allclose((W - u)[nz], thr * np.sign(u[nz]), rtol=1e-12, atol=1e-15)
    assert np.all(np.abs(W[~nz]) <= thr)
    assert np.all(np.sign(u[nz]) == np.sign(W[nz]))

    # And it beats perturbations of itself.
    def obj(v):
        return 0.5 * np.sum((v - W) ** 2) + thr * np.sum(np.abs(v))

    rng = np.random.default_rng(1)
    for _ in range(20):
        assert obj(u) <= obj(u + 1e-3 * rng.normal(size=u.shape))


@sparse_param
@classes_param
def test_loss_prox_leaves_intercept_untouched(sparse, n_classes):
    X, y, _ = make_data(n_classes, False)
    loss = make_loss(X, y, n_classes, None, True, 2.0, sparse)  # l1 = 0.8
    coef = random_coef(loss, scale=1.0)
    b = loss.unpack(coef)[1]
    b[...] = [0.1, -0.2, 0.3, -0.05][: len(b)]
    step = 0.5  # threshold 0.4, larger than every intercept
    out = loss.prox(coef, step)
    assert out.shape == coef.shape
    (W, b), (W_out, b_out) = loss.unpack(coef), loss.unpack(out)
    assert_array_equal(b_out, b)
    expected = np.sign(W) * np.maximum(np.abs(W) - 0.4, 0)
    assert_allclose(W_out, expected, rtol=0, atol=0)
    assert np.any(W_out == 0)


@classes_param
def test_loss_prox_without_intercept(n_classes):
    X, y, _ = make_data(n_classes, False)
    loss = make_loss(X, y, n_classes, None, False, 2.0, False)
    coef = random_coef(loss, scale=1.0)
    out = loss.prox(coef, 0.5)
    assert_allclose(out, np.sign(coef) * np.maximum(np.abs(coef) - 0.4, 0), atol=0)


@classes_param
@intercept_param
def test_loss_nonsmooth_value(n_classes, fit_intercept):
    X, y, _ = make_data(n_classes, False)
    loss = make_loss(X, y, n_classes, None, fit_intercept, 2.0, False)
    coef = random_coef(loss)
    W, _ = unpack64(loss, coef)
    assert loss.nonsmooth_value(coef) == pytest.approx(0.8 * np.abs(W).sum())
    assert make_loss(X, y, n_classes, None, fit_intercept, 0.0, False).nonsmooth_value(
        coef
    ) == pytest.approx(0.0, abs=0)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_subsampled_hessian_is_the_hessian_of_the_rows(n_classes, sparse):
    rng = np.random.default_rng(3)
    n, d = 60, 5
    X = rng.normal(size=(n, d))
    y = rng.integers(0, n_classes, n)
    sw = rng.uniform(0.5, 2.0, n)
    rows = rng.choice(n, size=25, replace=False)
    X_in = sp.csr_matrix(X) if sparse else X
    penalty = ElasticNet(0.1)
    loss = LinearSoftmaxLoss(X_in, y, n_classes, sample_weight=sw, penalty=penalty)
    sub = LinearSoftmaxLoss(
        X_in[np.sort(rows)],
        y[np.sort(rows)],
        n_classes,
        sample_weight=sw[np.sort(rows)],
        penalty=penalty,
    )
    coef = rng.normal(size=loss.n_dof)
    v = rng.normal(size=loss.n_dof)
    f_full, g_full, hessp_full = loss.gradient_hessian_product(coef)
    full_hv = hessp_full(v)
    loss.data.subsample_hessian(rows)
    f, g, hessp = loss.gradient_hessian_product(coef)
    # The value and gradient stay those of all the rows ...
    assert f == f_full
    assert_allclose(g, g_full, rtol=1e-12)
    # ... while the products are those of the rows' own (renormalised) objective.
    assert_allclose(hessp(v), sub.gradient_hessian_product(coef)[2](v), rtol=1e-10)
    assert not np.allclose(hessp(v), full_hv)
    loss.data.subsample_hessian(None)
    assert_allclose(loss.gradient_hessian_product(coef)[2](v), full_hv, rtol=1e-12)
