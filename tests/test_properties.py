"""Property tests (hypothesis) of SoftmaxClassifier and of the SoftMax maths.

Estimator properties run over random small problems: K = 2..5 classes, n =
2K..40 samples, d = 1..6 features, float32/float64, dense/CSR, sample weights
(positive, some zero, not all) and every solver:

(a) ``predict_proba`` is a probability table and ``predict_log_proba`` its log;
(b) ``predict``, ``predict_proba``, ``decision_function`` take the same decision;
(c) integer sample weights equal repeated rows (full-batch solvers, at the
    optimum, within a bound derived from ``tol`` and the objective's curvature);
(d) a ``class_weight`` dict equals the equivalent ``sample_weight`` (bitwise);
(e) relabelling the classes permutes the probability columns.

Maths properties (f): shift invariance, rows summing to one, ``log_softmax`` as
the log of ``softmax``, the JVP as the Jacobian times a vector; and a fuzz over
NaN, +-inf, odd shapes and dtypes, against the behaviour documented in
``sk_softmax/_softmax.py`` (an explicit oracle below), with every warning an
error.

The defects these properties found (an all ``-inf`` row, a NaN row with a
large logit, complex logits, logits that overflow at predict time) are fixed;
their tests stay at the end of their sections.

Every example is deterministic (``derandomize=True``): hypothesis draws the
sizes, flags and seeds, numpy draws the values from those seeds.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning

from sk_softmax import (
    SoftmaxClassifier,
    argmax,
    hardmax,
    log_softmax,
    softmax,
    softmax_jacobian,
    softmax_jvp,
)

SOLVERS = ["auto", "gd", "lbfgs", "newton-cg", "sgd", "adam"]
FULL_BATCH = ["auto", "gd", "lbfgs", "newton-cg"]
STOCHASTIC = ("sgd", "adam")
# Solvers that accept an L1 part in the penalty ('auto' then runs prox-newton).
L1_SOLVERS = ("auto", "gd", "sgd", "adam")
DTYPES = [np.float32, np.float64]
LABEL_NAMES = np.array(["ant", "bee", "cat", "dog", "eel"])  # sorted


def _settings(max_examples):
    """Deterministic hypothesis settings."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )


def _eps(dtype):
    return float(np.finfo(dtype).eps)


# =================================================================== problems
@st.composite
def problems(draw, weights="float", dtype=None):
    """A random small classification problem as a dict.

    Every class has at least two samples. `weights`:

    - ``"float"``: None, or positive floats with some zeros (not all);
    - ``"dyadic"``: multiples of 1/4 up to 4, some zero (not all): products of
      two of them are exact in float32, so an equivalent weighting computed in
      another order is the same number;
    - ``"integer"``: counts 0..3, every class with a positive count.
    """
    n_classes = draw(st.integers(2, 5), label="n_classes")
    n = draw(st.integers(2 * n_classes, 40), label="n_samples")
    d = draw(st.integers(1, 6), label="n_features")
    dtype = draw(st.sampled_from(DTYPES), label="dtype") if dtype is None else dtype
    sparse = draw(st.booleans(), label="sparse")
    spread = draw(st.sampled_from([0.5, 2.0]), label="class spread")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % n_classes)
    centres = rng.normal(scale=spread, size=(n_classes, d))
    X = centres[y] + rng.normal(size=(n, d))
    if sparse:
        X[rng.random((n, d)) < 0.4] = 0.0
    X = X.astype(dtype)
    if weights == "float":
        if draw(st.booleans(), label="unit weights"):
            sample_weight = None
        else:
            sample_weight = rng.uniform(0.05, 5.0, n)
            sample_weight[rng.random(n) < 0.25] = 0.0
    elif weights == "dyadic":
        sample_weight = rng.integers(1, 17, n) / 4.0
        sample_weight[rng.random(n) < 0.25] = 0.0
    else:
        sample_weight = rng.integers(0, 4, n).astype(np.float64)
        for k in range(n_classes):  # every class keeps a positive count
            first = np.flatnonzero(y == k)[0]
            sample_weight[first] = max(sample_weight[first], 1.0)
    if sample_weight is not None and not np.any(sample_weight > 0):
        sample_weight[0] = 1.0
    return {
        "X": sp.csr_matrix(X) if sparse else X,
        "X_dense": X,
        "y": y,
        "sample_weight": sample_weight,
        "n_classes": n_classes,
        "dtype": np.dtype(dtype),
        "sparse": sparse,
    }


@st.composite
def estimator_params(draw, solver, converge=False):
    """Parameters for `solver`: small budgets unless `converge`."""
    params = {"solver": solver, "random_state": draw(st.integers(0, 100))}
    if converge:
        params["alpha"] = draw(st.sampled_from([0.05, 0.2, 1.0]), label="alpha")
        params["max_iter"] = 10_000
        return params
    params["alpha"] = draw(st.sampled_from([0.0, 1e-4, 1e-2, 1.0]), label="alpha")
    if solver in L1_SOLVERS:
        params["l1_ratio"] = draw(st.sampled_from([0.0, 0.5, 1.0]), label="l1")
    params["fit_intercept"] = draw(st.booleans(), label="fit_intercept")
    if solver in STOCHASTIC:
        params["max_iter"] = draw(st.integers(1, 4), label="epochs")
        params["batch_size"] = draw(
            st.sampled_from(["auto", 1, 3, 8]), label="batch_size"
        )
        params["learning_rate"] = draw(
            st.sampled_from(["constant", "invscaling", "adaptive"])
        )
    else:
        params["max_iter"] = draw(st.integers(1, 25), label="max_iter")
    return params


def _fit(params, X, y, sample_weight=None):
    """Fit, ignoring ConvergenceWarning (the properties do not need the optimum)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return SoftmaxClassifier(**params).fit(X, y, sample_weight=sample_weight)


def _scaled(problem, scale):
    X = problem["X_dense"] * problem["dtype"].type(scale)
    return sp.csr_matrix(X) if problem["sparse"] else X


# ============================================================ (a) and (b)
@pytest.mark.parametrize("solver", SOLVERS)
@_settings(50)
@given(data=st.data())
def test_probabilities_and_decisions_agree(solver, data):
    problem = data.draw(problems(), label="problem")
    params = data.draw(estimator_params(solver), label="params")
    model = _fit(params, problem["X"], problem["y"], problem["sample_weight"])
    dtype = problem["dtype"]
    eps = _eps(dtype)
    K = problem["n_classes"]
    # Also far outside the training range: logits up to about 1e6, where
    # probabilities underflow and only the shifted evaluation stays finite.
    scale = data.draw(st.sampled_from([1.0, 1e3, 1e6]), label="scale")
    X = _scaled(problem, scale)

    proba = model.predict_proba(X)
    log_proba = model.predict_log_proba(X)
    decision = model.decision_function(X)
    predicted = model.predict(X)
    n = problem["y"].shape[0]
    assert proba.shape == log_proba.shape == (n, K)
    assert proba.dtype == log_proba.dtype == decision.dtype == dtype

    # (a) A probability table: finite, in [0, 1], rows summing to one. The sum
    # of K correctly rounded quotients e_k / S is 1 within about (K + 1) eps.
    assert np.all(np.isfinite(proba))
    assert np.all((proba >= 0) & (proba <= 1))
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=(K + 2) * eps)
    # predict_log_proba: finite (never log(0)), at most 0, and the log of
    # predict_proba wherever that is a normal number. Both come from the same
    # shifted logits s = z - max z: log(exp(s) / S) and s - log(S) differ by
    # the roundings of exp, the division and the two logs, a few eps in
    # absolute terms plus eps relative to |log p|.
    assert np.all(np.isfinite(log_proba))
    assert np.all(log_proba <= 0)
    normal = proba >= np.finfo(dtype).tiny
    assert np.all(normal.any(axis=1))  # the largest probability is >= 1/K
    assert_allclose(
        log_proba[normal], np.log(proba[normal]), rtol=4 * eps, atol=8 * eps
    )

    # (b) One decision. predict is the ArgMax of the logits, ties to the first.
    index = np.searchsorted(model.classes_, predicted)
    assert_array_equal(model.classes_[index], predicted)
    logits = decision[:, None] if K == 2 else decision
    if K == 2:
        logits = np.hstack([np.zeros_like(logits), logits])
    assert_array_equal(index, np.argmax(logits, axis=1))
    # SoftMax is monotone, also in floating point (exp and the division by
    # one S are): the predicted class has the largest probability. Rounding
    # can merge two probabilities whose logits are within a few ulps (a tie
    # then goes to the first), never reorder them; so the ArgMax of the
    # probabilities is the prediction wherever the largest logit leads the
    # next by more than a few ulps. (All logits tie for a model that is
    # still zero, e.g. after one L1 step without intercept.)
    rows = np.arange(n)
    assert_array_equal(proba[rows, index], proba.max(axis=1))
    top_two = np.sort(logits.astype(np.float64), axis=1)[:, -2:]
    ulps = eps * np.maximum(1.0, np.abs(top_two[:, 1]))
    clear = top_two[:, 1] - top_two[:, 0] > 16 * ulps
    assert_array_equal(
        predicted[clear], model.classes_[np.argmax(proba[clear], axis=1)]
    )
    if K == 2:
        # decision_function is the logit of classes_[1]: positive exactly where
        # classes_[1] is predicted, and P(classes_[1]) = sigmoid(decision).
        assert decision.shape == (n,)
        assert_array_equal(predicted == model.classes_[1], decision > 0)
        assert np.all(proba[decision > 0, 1] >= 0.5)
        assert np.all(proba[decision < 0, 1] <= 0.5)
    else:
        assert decision.shape == (n, K)


# ========================================================================= (c)
def _tolerance(dtype, solver):
    """A tolerance the fit can certify in its dtype.

    lbfgs ('auto' runs it on dense data) compares objective values in its line
    search, which stop resolving decreases at a problem-dependent gradient:
    over 200 of these problems with tol=1e-12 it stopped at up to 9e-9
    (float64) and 1.3e-4 (float32), median 6e-10 and 1e-5 (README: "near
    1e-9 ... 1e-5"). gd and newton-cg go further.
    """
    if solver in ("lbfgs", "auto"):
        return 1e-3 if dtype == np.float32 else 1e-7
    return 1e-5 if dtype == np.float32 else 1e-8


def _packed(model):
    """Coefficients as a (k, d + 1) table, intercepts centred for K >= 3.

    For K >= 3 the intercept is unpenalised and only defined up to a common
    shift (softmax ignores it): the centred intercept is the identified part.
    """
    b = model.intercept_.astype(np.float64)
    if model.classes_.shape[0] > 2:
        b = b - b.mean()
    return np.hstack([model.coef_.astype(np.float64), b[:, None]])


def _curvature(model, X, sample_weight):
    """Smallest eigenvalue of the objective's Hessian at `model`'s coefficients.

    The Hessian of the mean weighted cross-entropy plus ``alpha / 2 ||W||^2``,
    computed here from the formula: ``sum_i w_i J_i (x) x_i x_i^T`` with
    ``J_i = diag(p_i) - p_i p_i^T`` and ``x_i`` extended by a 1 for the
    intercept (for two classes, ``J_i = p_i (1 - p_i)``), plus ``alpha`` on the
    weights. For K >= 3 the direction "same shift of every intercept" is null
    (softmax ignores it); it is lifted to curvature 1 so that the smallest
    eigenvalue is the curvature of the identified coefficients.
    """
    X = _dense64(X)
    n, d = X.shape
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    w = w / w.sum()
    Xt = np.hstack([X, np.ones((n, 1))])
    P = model.predict_proba(X).astype(np.float64)
    K = P.shape[1]
    if K == 2:
        J = (P[:, 1] * P[:, 0])[:, None, None]
    else:
        J = np.einsum("ik,kl->ikl", P, np.eye(K)) - P[:, :, None] * P[:, None, :]
    k = J.shape[1]
    H = np.einsum("i,ikl,ij,im->kjlm", w, J, Xt, Xt).reshape(k * (d + 1), -1)
    penalised = np.tile(np.r_[np.ones(d), 0.0], k)
    H += model.alpha * np.diag(penalised)
    if K > 2:
        null = np.tile(np.r_[np.zeros(d), 1.0], k)
        null /= np.linalg.norm(null)
        H += np.outer(null, null)
    return float(np.linalg.eigvalsh(H)[0])


def _dense64(X):
    return np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)


def _gradient(model, X, y, sample_weight):
    """Gradient of the objective at `model`'s coefficients, computed here.

    In float64 from the formula ``G = diag(w) (P - Y)``, ``grad_W = G^T X +
    alpha W``, ``grad_b = sum_i G_i`` (two classes: the column of
    ``classes_[1]`` only), as a (k, d + 1) table like :func:`_packed`.
    """
    X = _dense64(X)
    n = X.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    w = w / w.sum()
    W = model.coef_.astype(np.float64)
    Z = X @ W.T + model.intercept_.astype(np.float64)
    Y = (np.asarray(y)[:, None] == model.classes_[None, :]).astype(np.float64)
    if model.classes_.shape[0] == 2:
        Z = np.hstack([np.zeros_like(Z), Z])
    P = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
    G = (w[:, None] * (P - Y))[:, -W.shape[0] :]
    return np.hstack([G.T @ X + model.alpha * W, G.sum(axis=0)[:, None]])


def _distance_to_optimum(model, X, y, sample_weight, tol):
    """Bound on the distance from `model`'s coefficients to the optimum.

    Strong convexity ``mu`` (the Hessian's smallest eigenvalue on the
    identified coefficients) puts a point with gradient ``g`` within
    ``|g| / mu`` of the unique optimum. ``mu`` is evaluated at the fit; along
    the short segment to the optimum it changes by far less than the factor 2
    allowed here. The gradient is the true one, computed here in float64;
    that it meets the solver's certificate ``max |g| <= tol`` is checked too,
    with, in float32, the rounding of the solver's own gradient: a sum of n
    terms, each at most ``w_i max|x|`` with weights summing to one, so at most
    ``n eps max|x|`` off.
    """
    g = _gradient(model, X, y, sample_weight)
    rounding = X.shape[0] * _eps(model.coef_.dtype) * max(1.0, float(abs(X).max()))
    assert np.max(np.abs(g)) <= tol + rounding, "converged_ without max|g| <= tol"
    mu = _curvature(model, X, sample_weight)
    assert mu > 0
    return 2 * np.linalg.norm(g) / mu


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("solver", FULL_BATCH)
@_settings(20)
@given(data=st.data())
def test_integer_sample_weight_equals_repeated_rows(solver, dtype, data):
    problem = data.draw(problems(weights="integer", dtype=dtype), label="problem")
    params = data.draw(estimator_params(solver, converge=True), label="params")
    params["tol"] = tol = _tolerance(dtype, solver)
    X, y, counts = problem["X"], problem["y"], problem["sample_weight"]
    weighted = SoftmaxClassifier(**params).fit(X, y, sample_weight=counts)
    rows = np.repeat(np.arange(y.shape[0]), counts.astype(int))
    repeated = SoftmaxClassifier(**params).fit(X[rows], y[rows])
    assert weighted.converged_ and repeated.converged_
    assert_array_equal(weighted.classes_, repeated.classes_)
    assert weighted.coef_.dtype == repeated.coef_.dtype == dtype
    # Both minimise the same objective (the weighted form is the repeated one
    # with duplicate rows merged): each is near the one optimum.
    bound = _distance_to_optimum(weighted, X, y, counts, tol)
    bound += _distance_to_optimum(repeated, X, y, counts, tol)
    _distance_to_optimum(repeated, X[rows], y[rows], None, tol)  # its certificate
    difference = np.linalg.norm(_packed(weighted) - _packed(repeated))
    assert difference <= bound, (difference, bound)


# ========================================================================= (d)
@pytest.mark.parametrize("solver", SOLVERS)
@_settings(25)
@given(data=st.data())
def test_class_weight_dict_equals_sample_weight(solver, data):
    problem = data.draw(problems(weights="dyadic"), label="problem")
    params = data.draw(estimator_params(solver), label="params")
    K = problem["n_classes"]
    # Weights for some of the classes (the others keep 1), zero included.
    keys = data.draw(
        st.lists(st.integers(0, K - 1), min_size=1, max_size=K, unique=True)
    )
    values = data.draw(
        st.lists(
            st.sampled_from([0.0, 0.25, 0.5, 2.0, 4.0]),
            min_size=len(keys),
            max_size=len(keys),
        )
    )
    class_weight = dict(zip(keys, values, strict=True))
    X, y, sample_weight = problem["X"], problem["y"], problem["sample_weight"]
    per_class = np.array([class_weight.get(k, 1.0) for k in range(K)])
    # Dyadic weights: the product below is exact in float32 and float64, so
    # both fits see exactly the same weights, whatever their dtype.
    equivalent = sample_weight * per_class[y]
    assume(np.any(equivalent > 0))
    weighted = _fit({**params, "class_weight": class_weight}, X, y, sample_weight)
    explicit = _fit(params, X, y, equivalent)
    # The same objective, evaluated by the same code on the same numbers (and,
    # for sgd/adam, the same random_state, hence the same batches): the fits
    # are identical, not merely close.
    assert_array_equal(weighted.classes_, explicit.classes_)
    assert weighted.n_iter_ == explicit.n_iter_
    assert_array_equal(weighted.coef_, explicit.coef_)
    assert_array_equal(weighted.intercept_, explicit.intercept_)
    assert_array_equal(weighted.predict_proba(X), explicit.predict_proba(X))


# ========================================================================= (e)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("solver", FULL_BATCH)
@_settings(20)
@given(data=st.data())
def test_relabelling_permutes_probability_columns(solver, dtype, data):
    problem = data.draw(problems(dtype=dtype), label="problem")
    params = data.draw(estimator_params(solver, converge=True), label="params")
    params["tol"] = tol = _tolerance(dtype, solver)
    K = problem["n_classes"]
    perm = np.array(data.draw(st.permutations(range(K)), label="permutation"))
    X, y, sample_weight = problem["X"], problem["y"], problem["sample_weight"]
    # A class without weight has no finite optimum (its unpenalised intercept
    # runs to -inf): not a problem with a unique answer to compare.
    assume(
        sample_weight is None
        or np.all(np.bincount(y, weights=sample_weight, minlength=K) > 0)
    )
    original = SoftmaxClassifier(**params).fit(X, y, sample_weight=sample_weight)
    names = LABEL_NAMES[perm[y]]  # class k is now called LABEL_NAMES[perm[k]]
    renamed = SoftmaxClassifier(**params).fit(X, names, sample_weight=sample_weight)
    assert original.converged_ and renamed.converged_
    assert_array_equal(renamed.classes_, LABEL_NAMES[:K])
    proba = original.predict_proba(X)
    proba_renamed = renamed.predict_proba(X)
    # The relabelled objective is the original one with permuted classes (for
    # two classes, with the sign of the logit flipped when the reference class
    # changes): the same optimum, in other columns. Each fit is near it (see
    # _distance_to_optimum); the logits move by at most |coefficients| times
    # |x extended by 1|, and each probability by at most half the largest
    # logit move (the rows of the softmax Jacobian have absolute sums
    # 2 p (1 - p) <= 1/2); plus the rounding of the probabilities themselves.
    distance = _distance_to_optimum(original, X, y, sample_weight, tol)
    distance += _distance_to_optimum(renamed, X, names, sample_weight, tol)
    dense = _dense64(X)
    x_norm = np.sqrt(np.max(np.sum(dense**2, axis=1)) + 1.0)
    bound = 0.5 * x_norm * distance + 4 * _eps(dtype)
    assert_allclose(proba_renamed[:, perm], proba, rtol=0, atol=bound)


# ============================================= (a) at the edge of the range
PREDICTIONS = ["predict_proba", "predict_log_proba", "predict", "decision_function"]


@pytest.mark.parametrize("dtype", DTYPES)
@_settings(30)
@given(data=st.data())
def test_huge_finite_inputs_never_give_nan(dtype, data):
    """Any finite X: a probability table without warnings, or a ValueError.

    X is validated as finite, yet ``X @ coef_.T`` can leave the dtype's range
    (and become inf - inf = NaN) for entries near its largest float. The
    README promises "never a NaN" and a ValueError naming the problem for bad
    input; silently overflowing is neither.
    """
    problem = data.draw(problems(weights="float", dtype=dtype), label="problem")
    model = _fit(
        {"solver": "auto", "alpha": 1e-2, "max_iter": 20},
        problem["X"],
        problem["y"],
        problem["sample_weight"],
    )
    d = problem["X_dense"].shape[1]
    big = float(np.finfo(dtype).max)
    row = st.floats(-big, big, width=8 * np.dtype(dtype).itemsize)
    X = np.array(
        data.draw(
            st.lists(st.lists(row, min_size=d, max_size=d), min_size=1, max_size=4),
            label="X",
        ),
        dtype=dtype,
    )
    for method in PREDICTIONS:
        result, exc = _call(getattr(model, method), X)
        if result is None:
            assert isinstance(exc, ValueError), (method, exc)
            continue
        if method == "predict_proba":
            assert not np.isnan(result).any(), (method, X, result)
            assert np.all((result >= 0) & (result <= 1))
            assert_allclose(result.sum(axis=1), 1.0, atol=8 * _eps(dtype))
        elif method == "predict_log_proba":
            assert not np.isnan(result).any(), (method, X, result)
            assert np.all(result <= 0)
        elif method == "decision_function":
            assert not np.isnan(result).any(), (method, X, result)
        else:
            assert np.all(np.isin(result, model.classes_))


# ================================================================ (f) maths
def _grid_logits(dtype, max_side=6):
    """Finite logits in [-1e4, 1e4] on a grid of 1/4 (see the shift test)."""
    return st.tuples(
        st.integers(1, 4), st.integers(1, max_side), st.integers(0, 2**32 - 1)
    ).map(
        lambda t: (
            np.random.default_rng(t[2]).integers(-40_000, 40_001, size=t[:2]) / 4
        ).astype(dtype)
    )


def _finite_logits(dtype, bound=1e4):
    shape = st.tuples(st.integers(1, 4), st.integers(1, 6))
    elements = st.floats(
        -bound, bound, width=32 if dtype == np.float32 else 64, allow_subnormal=False
    )
    return arrays(dtype, shape, elements=elements)


@pytest.mark.parametrize("dtype", DTYPES)
@_settings(100)
@given(data=st.data())
def test_shift_changes_nothing_exactly_on_a_grid(dtype, data):
    z = data.draw(_grid_logits(dtype), label="z")
    c = dtype(data.draw(st.integers(-40_000, 40_000), label="4c") / 4)
    # |z|, |c| <= 1e4 on a grid of 1/4: z + c (below 2e4) and every
    # difference z_k - max z (below 4e4) are multiples of 1/4 with at most 18
    # significant bits, exact in float32 and float64. The shifted evaluation
    # sees identical numbers, so the results are bitwise equal.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for f in (softmax, log_softmax, argmax, hardmax):
            assert_array_equal(f(z + c), f(z), err_msg=f.__name__)
            assert_array_equal(f(z + c, axis=0), f(z, axis=0), err_msg=f.__name__)


@pytest.mark.parametrize("dtype", DTYPES)
@_settings(100)
@given(data=st.data())
def test_softmax_properties_on_finite_logits(dtype, data):
    z = data.draw(_finite_logits(dtype), label="z")
    c = dtype(data.draw(st.floats(-1e4, 1e4, width=32), label="c"))
    K = z.shape[1]
    eps = _eps(dtype)
    tiny = np.finfo(dtype).tiny
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p, log_p = softmax(z), log_softmax(z)
        p_shift, log_p_shift = softmax(z + c), log_softmax(z + c)
        one_hot, index = hardmax(z), argmax(z)
    assert p.dtype == log_p.dtype == one_hot.dtype == dtype
    # Rows sum to one (K correctly rounded quotients: (K + 1) eps).
    assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))
    assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=(K + 2) * eps)
    # log_softmax is log(softmax) wherever softmax is a normal number (1e-300
    # or more in float64); error budget as in the estimator test (a).
    normal = p >= max(tiny, 1e-300 if dtype == np.float64 else tiny)
    assert_allclose(log_p[normal], np.log(p[normal]), rtol=4 * eps, atol=8 * eps)
    assert np.all(np.isfinite(log_p)) and np.all(log_p <= 0)
    # Shift invariance up to the rounding of z + c: each logit moves by at
    # most eps (|z| + |c|) / 2 and each difference z_k - max z by twice that,
    # then log-sum-exp adds at most the largest such move: 3 eps (|z| + |c|)
    # in total, plus the evaluation's own few eps.
    delta = 3 * eps * (np.max(np.abs(z)) + abs(c)) + 8 * eps
    assert_allclose(log_p_shift, log_p, rtol=eps, atol=delta)
    assert np.all(
        np.abs(p_shift - p) <= np.expm1(delta) * np.maximum(p, p_shift) + tiny
    )
    # ArgMax/hardmax after a rounded shift: the chosen logit is within the
    # rounding of the maximum (ties may move), and hardmax is its one-hot.
    chosen = np.take_along_axis(z, argmax(z + c)[:, None], axis=1)[:, 0]
    assert np.all(chosen >= z.max(axis=1) - 2 * eps * (np.abs(z).max() + abs(c)))
    assert_array_equal(one_hot, np.eye(K, dtype=dtype)[index])
    assert_array_equal(z[np.arange(z.shape[0]), index], z.max(axis=1))
    # softmax_jvp(p, v) == softmax_jacobian(p) @ v. Both evaluate
    # p_k v_k - p_k <p, v> with |p| <= 1, in another order: the difference is
    # a few roundings of terms bounded by K max|v|.
    v = data.draw(arrays(dtype, z.shape, elements=st.floats(-1e4, 1e4, width=32)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jv = softmax_jvp(p, v)
        J = softmax_jacobian(p)
    assert J.shape == (*z.shape, K) and J.dtype == jv.dtype == dtype
    assert_allclose(J, np.swapaxes(J, -1, -2), rtol=0, atol=0)
    expected = np.einsum("nkl,nl->nk", J.astype(np.float64), v.astype(np.float64))
    scale = max(1.0, float(np.abs(v).max()))
    assert_allclose(jv, expected, rtol=0, atol=4 * (K + 2) * eps * scale)


# --------------------------------------------------- fuzz: NaN, inf, shapes
FUZZ_DTYPES = [np.float32, np.float64, np.int8, np.int64, np.bool_]


@st.composite
def fuzz_arrays(draw):
    """Arrays of 0 to 3 dimensions (sides 0..4), any values, and an axis.

    Floats include NaN, +-inf, subnormals and the extremes of the range. The
    axis may be out of range (an error is the correct answer then).
    """
    dtype = np.dtype(draw(st.sampled_from(FUZZ_DTYPES), label="dtype"))
    shape = draw(array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    if dtype.kind == "f":
        width = 8 * dtype.itemsize
        special = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0])
        moderate = st.floats(-50, 50, width=width)
        values = st.one_of(special, moderate, st.floats(width=width))
        z = draw(arrays(dtype, shape, elements=values, fill=st.nothing()))
    else:
        z = draw(arrays(dtype, shape))
    ndim = len(shape)
    axis = draw(st.integers(-ndim - 1, ndim), label="axis")
    return z, axis


def _axis_ok(z, axis):
    return -max(z.ndim, 1) <= axis < max(z.ndim, 1)


def _rows(z, axis):
    """`z` with `axis` moved last, as a 2-D table of rows (float64 or more)."""
    dtype = np.longdouble if z.dtype == np.float64 else np.float64
    moved = np.moveaxis(np.asarray(z, dtype=dtype), axis, -1)
    return moved.reshape(-1, moved.shape[-1]), moved.shape


def _oracle_softmax(z, axis):
    """The documented SoftMax of every row, in extended precision.

    - a row with a NaN: NaN throughout (NaN propagates, nothing else is hit);
    - a row whose maximum is infinite: the mass spread uniformly over the
      entries equal to that maximum -- the documented limit for +inf; for a row
      that is all -inf, every entry is maximal and the limit of equal logits is
      uniform (see the -inf defect test);
    - otherwise the shifted formula, and ``s = z - max z`` for log-SoftMax
      (``-inf`` where ``s`` is below the most negative float of the dtype).
    """
    rows, shape = _rows(z, axis)
    p = np.empty_like(rows)
    log_p = np.empty_like(rows)
    for r, row in enumerate(rows):
        if np.isnan(row).any():
            p[r] = log_p[r] = np.nan
            continue
        m = row.max()
        if np.isinf(m):
            top = row == m
            p[r] = top / top.sum()
            log_p[r] = np.where(top, -np.log(top.sum()), -np.inf)
            continue
        s = row - m
        lse = np.log(np.exp(s).sum())
        p[r] = np.exp(s - lse)
        log_p[r] = s - lse
    return np.moveaxis(p.reshape(shape), -1, axis), np.moveaxis(
        log_p.reshape(shape), -1, axis
    )


def _call(f, *args, **kwargs):
    """Call `f` with every warning an error; return (result, None) or (None, exc).

    Only ValueError (numpy's AxisError is one) and TypeError are acceptable
    refusals; anything else propagates and fails the test.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return f(*args, **kwargs), None
        except (ValueError, TypeError) as exc:
            assert str(exc), f"{f.__name__} raised {exc!r} without a message"
            return None, exc


def _empty_axis(z, axis):
    return z.ndim > 0 and z.shape[axis] == 0


def _check_refusal(name, z, axis, exc):
    """A refusal is correct only for an axis out of range or of length 0."""
    assert exc is not None
    assert not _axis_ok(z, axis) or _empty_axis(z, axis) or z.ndim == 0, (
        f"{name} refused a valid input: {exc!r}"
    )


def _float_dtype(z):
    return z.dtype if z.dtype.kind == "f" else np.dtype(np.float64)


@_settings(500)
@given(fuzz_arrays())
def test_fuzz_softmax_and_log_softmax(z_axis):
    z, axis = z_axis
    original = z.copy()
    for f in (softmax, log_softmax):
        result, exc = _call(f, z, axis=axis)
        if result is None:
            _check_refusal(f.__name__, z, axis, exc)
            continue
        assert _axis_ok(z, axis), f"{f.__name__} accepted axis={axis} for {z.shape}"
        result = np.asarray(result)
        assert result.shape == z.shape
        assert result.dtype == _float_dtype(z)
        if z.size == 0:
            continue
        if z.ndim == 0:  # a single class: the oracle of the 1-vector
            _check_against_oracle(f, z[None], 0, result[None])
        else:
            _check_against_oracle(f, z, axis, result)
    assert_array_equal(z, original)  # inputs are never modified


def _check_against_oracle(f, z, axis, result):
    expected_p, expected_log_p = _oracle_softmax(z, axis)
    eps = _eps(result.dtype)
    K = z.shape[axis]
    nan = np.isnan(expected_p)
    assert_array_equal(np.isnan(result), nan)
    if f is softmax:
        # exp(s) has a relative error of about eps (|s| + 1) (s = z - max z is
        # rounded), the sum and the quotient (K + 2) eps; results below the
        # normal range are compared absolutely.
        shifted = np.minimum(np.abs(_rows_like(z, axis)), 1e6)
        bound = eps * (shifted + K + 4) * expected_p
        bound = bound + np.finfo(result.dtype).smallest_subnormal
        ok = np.abs(result - expected_p) <= bound
        assert np.all(ok | nan), (z, axis, result, expected_p)
        return
    # log-SoftMax: -inf exactly where the exact value is below the most
    # negative float (documented); within an ulp of it either rounding is
    # right. Elsewhere s - log(sum exp(s)): the rounding of s (eps |s|), of
    # the subtraction (eps |result|) and of the log-sum (a few eps).
    lowest = -float(np.finfo(result.dtype).max)  # Python floats: no overflow
    expected = expected_log_p.astype(np.longdouble)
    below = expected < np.longdouble(lowest) * np.longdouble(1 + eps)
    borderline = (expected < lowest * (1 - eps)) & ~below
    assert np.all(np.isneginf(result)[below])
    assert not np.any(np.isneginf(result)[~below & ~borderline])
    finite = ~nan & ~below & ~borderline
    bound = eps * (2 * np.abs(expected_log_p) + K + 4)
    error = np.abs(result[finite] - expected_log_p[finite])
    assert np.all(error <= bound[finite]), (z, axis, result, expected_log_p)


def _rows_like(z, axis):
    """``z - max z`` along `axis` (in extended precision), shaped like `z`."""
    with np.errstate(invalid="ignore"):
        zz = np.asarray(z, dtype=np.longdouble)
        m = np.max(zz, axis=axis, keepdims=True)
        s = np.where(np.isfinite(m), zz - np.where(np.isfinite(m), m, 0), 0)
    return np.nan_to_num(s, nan=0.0, neginf=0.0, posinf=0.0).astype(np.float64)


@_settings(400)
@given(fuzz_arrays())
def test_fuzz_argmax_and_hardmax(z_axis):
    z, axis = z_axis
    index, exc = _call(argmax, z, axis=axis)
    one_hot, exc_hard = _call(hardmax, z, axis=axis)
    # numpy's convention, which argmax documents: the first maximum, a NaN
    # counting as the largest value.
    if index is None:
        _check_refusal("argmax", z, axis, exc)
    if one_hot is None:
        _check_refusal("hardmax", z, axis, exc_hard)
    if z.ndim == 0:  # one class: index 0, one-hot 1 (or a refusal)
        assert index is None or index == 0
        assert one_hot is None or one_hot == 1
        return
    if index is not None:
        rows, shape = _rows(z, axis)
        expected = [
            int(np.flatnonzero(np.isnan(r))[0])
            if np.isnan(r).any()
            else int(np.flatnonzero(r == r.max())[0])
            for r in rows
        ]
        assert_array_equal(np.ravel(index), expected)
        assert np.shape(index) == shape[:-1]
    if one_hot is not None:
        assert one_hot.shape == z.shape and one_hot.dtype == _float_dtype(z)
        assert np.all((one_hot == 0) | (one_hot == 1))
        if z.size:
            assert_array_equal(np.sum(one_hot, axis=axis), 1)
        if index is not None:
            picked = np.take_along_axis(
                one_hot, np.expand_dims(np.asarray(index), axis), axis=axis
            )
            assert np.all(picked == 1)


@_settings(300)
@given(fuzz_arrays(), st.integers(0, 2**32 - 1))
def test_fuzz_jacobian_and_jvp(z_axis, seed):
    """The Jacobian and JVP of probabilities: softmax outputs of fuzzed logits.

    They take probabilities (the output of softmax), so they are fuzzed with
    those -- including NaN rows, one-hot rows from infinite logits and odd
    shapes -- and finite directions.
    """
    z, axis = z_axis
    p, exc = _call(softmax, z, axis=axis)
    if p is None or np.ndim(p) == 0:
        return
    v = np.random.default_rng(seed).uniform(-1e4, 1e4, p.shape).astype(p.dtype)
    J, exc = _call(softmax_jacobian, p, axis=axis)
    assert exc is None, exc
    jv, exc = _call(softmax_jvp, p, v, axis=axis)
    assert exc is None, exc
    assert jv.shape == p.shape and jv.dtype == J.dtype == p.dtype
    K = p.shape[axis]
    moved_p = np.moveaxis(p, axis, -1)
    assert J.shape == (*moved_p.shape, K)
    moved_v = np.moveaxis(v, axis, -1).astype(np.float64)
    with np.errstate(invalid="ignore"):
        expected = np.einsum("...kl,...l->...k", J.astype(np.float64), moved_v)
    got = np.moveaxis(jv, axis, -1)
    eps = _eps(p.dtype)
    assert_allclose(got, expected, rtol=0, atol=4 * (K + 2) * eps * 1e4)
    # NaN exactly where the probabilities are NaN (a NaN logit's row).
    assert_array_equal(np.isnan(got), np.isnan(moved_p))


# --------------------------------------- defects found here, now fixed
@_settings(40)
@given(
    st.integers(1, 5),
    st.sampled_from(DTYPES),
    st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=5),
)
def test_all_negative_infinity_row_is_uniform(K, dtype, other_row):
    z = np.full((2, K), -np.inf, dtype=dtype)
    z[1, : len(other_row[:K])] = other_row[:K]
    p, exc = _call(softmax, z)
    assert exc is None, exc
    log_p, exc = _call(log_softmax, z)
    assert exc is None, exc
    # Every entry of the row is maximal: the limit of equal logits, uniform.
    assert_allclose(p[0], 1.0 / K, rtol=4 * _eps(dtype))
    assert_allclose(log_p[0], -np.log(K), rtol=4 * _eps(dtype))
    assert_array_equal(p[1], softmax(z[1]))  # the other row is untouched


@_settings(40)
@given(st.sampled_from(DTYPES), st.floats(1e3, 1e30), st.integers(2, 5))
def test_nan_row_gives_nan_without_warning(dtype, big, K):
    z = np.zeros((2, K), dtype=dtype)
    z[0, 0] = np.nan
    z[0, 1] = big
    z[1, 1] = 1.0
    for f in (softmax, log_softmax):
        result, exc = _call(f, z)
        assert exc is None, exc
        assert np.all(np.isnan(result[0]))
        assert np.all(np.isfinite(result[1]))


@pytest.mark.parametrize(
    "f", [softmax, log_softmax, hardmax, softmax_jacobian], ids=lambda f: f.__name__
)
def test_complex_input_is_refused(f):
    z = np.array([[1.0 + 2.0j, 0.5, -1.0j]])
    result, exc = _call(f, z)
    assert result is None and isinstance(exc, (TypeError, ValueError))
    assert "complex" in str(exc)
