"""Direct tests of each backend's problem builder, and of the remote data term.

``build_problem(estimator, X, y, sample_weight)`` is called as ``fit`` calls
it, for numpy (dense, CSR, float32, pandas, string labels, weights), array API
(array-api-strict, on its default device and another one) and dask input (an
in-process, synchronous scheduler: no distributed client). The reference is
always the one-array objective built by hand from the same data and weights:
the numpy backend must match it bitwise, the others to rounding.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context

from sk_softmax import SoftmaxClassifier
from sk_softmax._backends import build_problem
from sk_softmax._backends._dask_chunks import ChunkLoss
from sk_softmax._backends._remote import ChunkPool, RemoteCrossEntropy
from sk_softmax._layout import CoefficientLayout
from sk_softmax._objective import LinearCrossEntropy, LinearSoftmaxLoss
from sk_softmax._penalty import ElasticNet
from sk_softmax.utils._sklearn_compat import array_api_unavailable

N_SAMPLES, N_FEATURES = 30, 4
ALPHA, L1_RATIO = 0.3, 0.25

classes_param = pytest.mark.parametrize("n_classes", [2, 3], ids=["K2", "K3"])
intercept_param = pytest.mark.parametrize(
    "fit_intercept", [True, False], ids=["fi", "nofi"]
)

# scikit-learn's array API dispatch has requirements of its own (scipy >= 1.14,
# array-api-compat on older releases): where they are missing, these skip.
needs_dispatch = pytest.mark.skipif(
    array_api_unavailable() is not None,
    reason=f"no array API dispatch here: {array_api_unavailable()}",
)


def make_data(n_classes, n=N_SAMPLES, d=N_FEATURES, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[rng.random((n, d)) < 0.3] = 0.0  # structural zeros for CSR
    y = np.arange(n) % n_classes
    rng.shuffle(y)
    sw = rng.uniform(0.2, 3.0, size=n)
    return X, y, sw


def coef_and_direction(objective, seed=1):
    rng = np.random.default_rng(seed)
    shape = (objective.n_dof,)
    return (
        rng.normal(scale=0.5, size=shape).astype(objective.dtype),
        rng.normal(size=shape).astype(objective.dtype),
    )


def estimator(**params):
    params.setdefault("alpha", ALPHA)
    params.setdefault("l1_ratio", L1_RATIO)
    return SoftmaxClassifier(**params)


def encode(y, classes):
    """Labels to indices into `classes`, without np.unique's encoding."""
    index = {label: k for k, label in enumerate(classes)}
    return np.array([index[label] for label in y], dtype=np.intp)


def assert_same_objective(objective, reference, bitwise=True, rtol=1e-12):
    """Value, gradient and Hessian products of two objectives agree."""
    coef, v = coef_and_direction(reference)
    check = (
        (lambda a, b: assert_array_equal(a, b, strict=True))
        if bitwise
        else (lambda a, b: assert_allclose(a, b, rtol=rtol, atol=rtol * 1e-2))
    )
    value, grad = objective.value_gradient(coef.copy())
    ref_value, ref_grad = reference.value_gradient(coef.copy())
    check(np.float64(value), np.float64(ref_value))
    check(grad, ref_grad)
    check(np.float64(objective.value(coef.copy())), np.float64(ref_value))
    value, grad, hessp = objective.gradient_hessian_product(coef.copy())
    ref_value, ref_grad, ref_hessp = reference.gradient_hessian_product(coef.copy())
    check(np.float64(value), np.float64(ref_value))
    check(grad, ref_grad)
    check(hessp(v.copy()), ref_hessp(v.copy()))
    assert objective.nonsmooth_value(coef) == reference.nonsmooth_value(coef)
    assert objective.penalty == reference.penalty
    assert objective.n_dof == reference.n_dof
    assert objective.n_samples == reference.n_samples
    assert_allclose(objective.initial_step(), reference.initial_step(), rtol=rtol)


# ----------------------------------------------------------------------- numpy
def numpy_cases():
    """(name, X transform, y transform, dtype) of the in-memory inputs."""
    return {
        "dense": (lambda X: X, lambda y: y, np.float64),
        "csr": (sp.csr_matrix, lambda y: y, np.float64),
        "float32": (lambda X: X.astype(np.float32), lambda y: y, np.float32),
        "csr-float32": (
            lambda X: sp.csr_matrix(X.astype(np.float32)),
            lambda y: y,
            np.float32,
        ),
        "list": (lambda X: X.tolist(), lambda y: y.tolist(), np.float64),
        "int-X": (lambda X: np.round(3 * X).astype(np.int64), lambda y: y, np.float64),
        "strings": (
            lambda X: X,
            lambda y: np.array(["zebra", "ant", "moth"])[y],
            np.float64,
        ),
    }


def class_weight_for(kind, classes):
    if kind is None or kind == "balanced":
        return kind
    return {classes[0]: 2.5, classes[-1]: 0.5}  # the others keep 1


# (weighted, class_weight, fit_intercept)
WEIGHTINGS = [
    pytest.param(False, None, True, id="unweighted"),
    pytest.param(True, "dict", False, id="sw-dict-nofi"),
    pytest.param(True, "balanced", True, id="sw-balanced"),
]


@pytest.mark.parametrize("case", list(numpy_cases()))
@pytest.mark.parametrize("weighted, class_weight, fit_intercept", WEIGHTINGS)
@classes_param
def test_numpy_problem(case, weighted, class_weight, n_classes, fit_intercept):
    to_X, to_y, dtype = numpy_cases()[case]
    X, y_int, sw = make_data(n_classes)
    y = to_y(y_int)
    X_in = to_X(X)
    classes = np.array(sorted(set(np.asarray(y).tolist())))
    cw = class_weight_for(class_weight, classes.tolist())
    model = estimator(class_weight=cw, fit_intercept=fit_intercept)
    problem = build_problem(model, X_in, y, sw if weighted else None)

    assert problem.kind == "numpy"
    assert problem.sparse == sp.issparse(X_in)
    assert problem.n_features == N_FEATURES
    assert problem.feature_names is None
    assert problem.n_samples == N_SAMPLES
    assert_array_equal(problem.classes, classes)
    assert problem.classes.dtype == np.asarray(y).dtype
    y_enc = encode(np.asarray(y).tolist(), classes.tolist())
    raw = np.asarray(sw if weighted else np.ones(N_SAMPLES), dtype=dtype)
    totals = np.array([raw[y_enc == k].astype(np.float64).sum() for k in range(3)])
    totals = totals[:n_classes]
    assert_allclose(problem.class_totals, totals, rtol=1e-14)
    # class weights: not in the totals, but in the data's weights
    if cw is None:
        factors = np.ones(n_classes)
    elif cw == "balanced":
        factors = problem.class_totals.sum() / (n_classes * problem.class_totals)
    else:
        factors = np.array([cw.get(c, 1.0) for c in classes.tolist()])
    weights = raw * factors[y_enc]

    X_data, y_data, w_data = problem.data
    assert X_data.dtype == dtype
    assert sp.issparse(X_data) == sp.issparse(X_in)
    X_expected = to_X(X)
    if sp.issparse(X_expected):
        assert_array_equal(X_data.toarray(), X_expected.toarray())
    else:
        X_expected = np.asarray(X_expected, dtype=dtype)
        assert_array_equal(X_data, X_expected)
    assert_array_equal(y_data, y_enc)
    assert_array_equal(w_data, weights)
    assert_array_equal(problem.report[1], y)  # the labels, as given
    assert problem.report[2] is (sw if weighted else None)

    reference = LinearSoftmaxLoss(
        X_expected,
        y_enc,
        n_classes,
        sample_weight=weights,
        fit_intercept=fit_intercept,
        penalty=ElasticNet(ALPHA, L1_RATIO),
    )
    assert problem.objective.dtype == dtype
    assert_same_objective(problem.objective, reference, bitwise=True)
    assert_array_equal(
        problem.objective.intercept_only_coef(), reference.intercept_only_coef()
    )

    # attributes(x): classes_, coef_ and intercept_ of the packed vector
    coef, _ = coef_and_direction(reference)
    attributes = problem.attributes(coef)
    assert set(attributes) == {"classes_", "coef_", "intercept_"}
    k = 1 if n_classes == 2 else n_classes
    assert_array_equal(attributes["classes_"], classes)
    assert attributes["coef_"].shape == (k, N_FEATURES)
    assert attributes["intercept_"].shape == (k,)
    assert attributes["coef_"].dtype == dtype
    assert attributes["intercept_"].dtype == dtype
    W, b = reference.unpack(coef)
    assert_array_equal(attributes["coef_"], W)
    assert_array_equal(attributes["intercept_"], np.zeros(k) if b is None else b)
    assert not np.shares_memory(attributes["coef_"], coef)


@pytest.mark.parametrize("columns", [["a", "b", "c", "d"], [0, 1, 2, 3]])
def test_numpy_problem_from_a_dataframe(columns):
    pd = pytest.importorskip("pandas")
    X, y, sw = make_data(3)
    frame = pd.DataFrame(X, columns=columns)
    model = estimator()
    problem = build_problem(model, frame, pd.Series(y), sw)
    if isinstance(columns[0], str):
        assert_array_equal(problem.feature_names, np.array(columns, dtype=object))
        assert_array_equal(model.feature_names_in_, columns)
    else:
        assert problem.feature_names is None
    reference = LinearSoftmaxLoss(
        X, y, 3, sample_weight=sw, penalty=ElasticNet(ALPHA, L1_RATIO)
    )
    assert_same_objective(problem.objective, reference, bitwise=True)


def test_numpy_problem_refuses_zero_total_weight():
    X, y, _ = make_data(3)
    with pytest.raises(ValueError, match="nothing to fit"):
        build_problem(estimator(class_weight={0: 0, 1: 0, 2: 0}), X, y, None)
    with pytest.raises(ValueError, match=r"nothing to fit|non-zero"):
        build_problem(estimator(), X, y, np.zeros(N_SAMPLES))
    # Class weights and sample weights zero on complementary samples.
    sw = (y == 0).astype(float)
    with pytest.raises(ValueError, match="nothing to fit"):
        build_problem(estimator(class_weight={0: 0.0}), X, y, sw)


def test_numpy_problem_refuses_a_single_class():
    X, _, _ = make_data(3)
    with pytest.raises(ValueError, match="at least 2 classes"):
        build_problem(estimator(), X, np.zeros(N_SAMPLES), None)


# ------------------------------------------------------------------- array API
def strict_devices():
    try:
        import array_api_strict
    except ImportError:
        return [pytest.param(None, id="no-array-api-strict", marks=pytest.mark.skip)]
    return [
        pytest.param(None, id="default"),
        pytest.param(array_api_strict.Device("device1"), id="device1"),
    ]


def to_numpy(a):
    from sk_softmax._backends import to_host

    return to_host(a)


@needs_dispatch
@pytest.mark.parametrize("device", strict_devices())
@pytest.mark.parametrize("weighted, class_weight, fit_intercept", WEIGHTINGS)
@classes_param
def test_array_api_problem_matches_numpy(
    device, weighted, class_weight, n_classes, fit_intercept
):
    xp = pytest.importorskip("array_api_strict")
    X, y, sw = make_data(n_classes)
    sw = sw if weighted else None
    cw = class_weight_for(class_weight, list(range(n_classes)))
    params = {"class_weight": cw, "fit_intercept": fit_intercept}
    expected = build_problem(estimator(**params), X, y, sw)
    kw = {} if device is None else {"device": device}
    X_xp, y_xp = xp.asarray(X, **kw), xp.asarray(y, **kw)
    sw_xp = None if sw is None else xp.asarray(sw, **kw)
    with config_context(array_api_dispatch=True):
        problem = build_problem(estimator(**params), X_xp, y_xp, sw_xp)
        assert problem.kind == "array-api"
        assert problem.data is None
        assert problem.sparse is False
        assert problem.n_features == N_FEATURES
        assert problem.n_samples == N_SAMPLES
        assert problem.objective.dtype == np.float64
        assert_array_equal(to_numpy(problem.classes), expected.classes)
        assert_allclose(problem.class_totals, expected.class_totals, rtol=1e-14)
        assert_same_objective(problem.objective, expected.objective, bitwise=False)
        assert_allclose(
            problem.objective.intercept_only_coef(),
            expected.objective.intercept_only_coef(),
            rtol=1e-12,
            atol=1e-14,
        )
        coef, _ = coef_and_direction(expected.objective)
        attributes = problem.attributes(coef)
    reference = expected.attributes(coef)
    for name in ["classes_", "coef_", "intercept_"]:
        attribute = attributes[name]
        assert type(attribute) is type(X_xp), name
        assert attribute.device == X_xp.device, name
        assert attribute.shape == reference[name].shape, name
        assert_array_equal(to_numpy(attribute), reference[name])
    assert attributes["coef_"].dtype == xp.float64


@needs_dispatch
def test_array_api_problem_keeps_float32():
    xp = pytest.importorskip("array_api_strict")
    X, y, sw = make_data(3)
    X32 = X.astype(np.float32)
    expected = build_problem(estimator(), X32, y, sw)
    with config_context(array_api_dispatch=True):
        problem = build_problem(estimator(), xp.asarray(X32), xp.asarray(y), sw)
        assert problem.objective.dtype == np.float32
        coef, _ = coef_and_direction(expected.objective)
        value, grad = problem.objective.value_gradient(coef)
        attributes = problem.attributes(coef)
    ref_value, ref_grad = expected.objective.value_gradient(coef)
    assert grad.dtype == np.float32
    assert value == pytest.approx(ref_value, rel=1e-5)
    assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-6)
    assert attributes["coef_"].dtype == xp.float32
    assert attributes["intercept_"].dtype == xp.float32


# ------------------------------------------------------------------------ dask
@pytest.fixture
def synchronous():
    dask = pytest.importorskip("dask")
    with dask.config.set(scheduler="synchronous"):
        yield


def no_distributed_client():
    try:
        from distributed import get_client
    except ImportError:
        return True
    try:
        get_client()
    except ValueError:
        return True
    return False


@pytest.mark.parametrize(
    "chunk, weights, class_weight, n_classes, fit_intercept",
    [
        (3, "none", None, 3, True),
        (4, "numpy", "balanced", 2, True),
        (3, "dask", "dict", 2, False),
        (4, "dask", "balanced", 3, False),
        (4, "numpy", "dict", 3, True),
        (3, "numpy", None, 2, True),
    ],
)
def test_dask_array_problem_matches_numpy(
    synchronous, chunk, weights, class_weight, n_classes, fit_intercept
):
    da = pytest.importorskip("dask.array")
    assert no_distributed_client()
    X, y, sw = make_data(n_classes)
    cw = class_weight_for(class_weight, list(range(n_classes)))
    params = {"class_weight": cw, "fit_intercept": fit_intercept}
    expected = build_problem(
        estimator(**params), X, y, None if weights == "none" else sw
    )
    sw_in = {"none": None, "numpy": sw, "dask": da.from_array(sw, chunks=5)}[weights]
    X_da = da.from_array(X, chunks=(chunk, 2))  # rechunked to whole rows
    problem = build_problem(
        estimator(**params), X_da, da.from_array(y, chunks=7), sw_in
    )
    assert problem.kind == "dask"
    assert problem.data is None
    assert problem.sparse is False
    assert problem.n_features == N_FEATURES
    assert problem.n_samples == N_SAMPLES
    assert problem.feature_names is None
    assert_array_equal(problem.classes, expected.classes)
    assert_allclose(problem.class_totals, expected.class_totals, rtol=1e-14)
    assert_same_objective(problem.objective, expected.objective, bitwise=False)
    assert_allclose(
        problem.objective.intercept_only_coef(),
        expected.objective.intercept_only_coef(),
        rtol=1e-12,
        atol=1e-14,
    )
    coef, _ = coef_and_direction(expected.objective)
    attributes = problem.attributes(coef)
    for name, reference in expected.attributes(coef).items():
        assert type(attributes[name]) is np.ndarray
        assert_array_equal(attributes[name], reference)
    # one in-process ChunkLoss holds every block
    pool = problem.objective.data.chunks
    assert pool.remote is False
    assert len(pool.chunks) == 1
    assert len(pool.chunks[0].blocks) == -(-N_SAMPLES // chunk)


def test_dask_dataframe_problem(synchronous):
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, y, sw = make_data(3)
    labels = np.array(["b", "c", "a"])[y]
    frame = pd.DataFrame(X, columns=["w", "x", "y", "z"])
    frame_dd = dd.from_pandas(frame, npartitions=4)
    # object labels: dask warns when it converts pandas' string dtype
    with dask.config.set({"dataframe.convert-string": False}):
        y_dd = dd.from_pandas(pd.Series(labels, dtype=object), npartitions=4)
    sw_dd = dd.from_pandas(pd.Series(sw), npartitions=4)
    problem = build_problem(estimator(), frame_dd, y_dd, sw_dd)
    expected = build_problem(estimator(), frame, labels, sw)
    assert_array_equal(problem.feature_names, np.array(["w", "x", "y", "z"], object))
    assert_array_equal(problem.classes, ["a", "b", "c"])
    assert_allclose(problem.class_totals, expected.class_totals, rtol=1e-14)
    assert_same_objective(problem.objective, expected.objective, bitwise=False)


def test_dask_weightless_blocks_are_dropped(synchronous):
    da = pytest.importorskip("dask.array")
    X, y, sw = make_data(3)
    sw = sw.copy()
    sw[:8] = 0.0  # the first two blocks of 4 rows carry no weight
    problem = build_problem(
        estimator(), da.from_array(X, chunks=(4, 4)), da.from_array(y, chunks=4), sw
    )
    expected = build_problem(estimator(), X, y, sw)
    chunk = problem.objective.data.chunks.chunks[0]
    assert len(chunk.blocks) == 8
    assert len(chunk.losses) == 6
    assert_same_objective(problem.objective, expected.objective, bitwise=False)


def test_dask_chunk_with_nan_is_refused(synchronous):
    da = pytest.importorskip("dask.array")
    X, y, _ = make_data(3)
    X[13, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        build_problem(
            estimator(),
            da.from_array(X, chunks=(4, 4)),
            da.from_array(y, chunks=4),
            None,
        )


def test_dask_negative_weight_is_refused(synchronous):
    da = pytest.importorskip("dask.array")
    X, y, sw = make_data(3)
    sw[17] = -1.0
    with pytest.raises(ValueError, match="non-negative"):
        build_problem(estimator(), da.from_array(X, chunks=(4, 4)), y, sw)


def test_dask_zero_total_weight_is_refused(synchronous):
    da = pytest.importorskip("dask.array")
    X, y, _ = make_data(3)
    X_da, y_da = da.from_array(X, chunks=(4, 4)), da.from_array(y, chunks=4)
    with pytest.raises(ValueError, match="nothing to fit"):
        build_problem(estimator(class_weight={0: 0, 1: 0, 2: 0}), X_da, y_da, None)
    with pytest.raises(ValueError, match="nothing to fit"):
        build_problem(estimator(), X_da, y_da, np.zeros(N_SAMPLES))


def test_dask_single_class_is_refused(synchronous):
    da = pytest.importorskip("dask.array")
    X, _, _ = make_data(3)
    with pytest.raises(ValueError, match="at least 2 classes"):
        build_problem(
            estimator(),
            da.from_array(X, chunks=(4, 4)),
            da.from_array(np.ones(N_SAMPLES, dtype=int), chunks=4),
            None,
        )


# ----------------------------------------------------- ChunkPool, remote term
class Recorder:
    def __init__(self, name):
        self.name = name
        self.calls = []

    def echo(self, *args):
        self.calls.append(args)
        return (self.name, *args)


def test_chunk_pool_in_process():
    chunks = [Recorder("a"), Recorder("b"), Recorder("c")]
    pool = ChunkPool(chunks, remote=False)
    assert pool.map("echo", 1, 2) == [("a", 1, 2), ("b", 1, 2), ("c", 1, 2)]
    assert pool.map_each("echo", [(1,), (2,), (3,)]) == [("a", 1), ("b", 2), ("c", 3)]
    pool.restrict([True, False, True])
    assert [c.name for c in pool.chunks] == ["a", "c"]
    assert pool.map("echo") == [("a",), ("c",)]
    assert chunks[1].calls == [(1, 2), (2,)]  # no call after it was dropped
    with pytest.raises(ValueError):  # one argument tuple per chunk
        ChunkPool([Recorder("a"), Recorder("b")], remote=False).map_each(
            "echo", [(1,), (2,), (3,)]
        )


def two_chunk_losses(n_classes=3, fit_intercept=True, class_weights=None):
    """A RemoteCrossEntropy over two in-process ChunkLoss, and the one-array term."""
    X, y_int, sw = make_data(n_classes, n=40)
    labels = np.array(["p", "q", "r"])[:n_classes]
    y = labels[y_int]
    class_weights = np.ones(n_classes) if class_weights is None else class_weights
    first = ChunkLoss(
        [(X[:11], y[:11], sw[:11]), (X[11:23], y[11:23], sw[11:23])],
        labels,
        np.float64,
    )
    second = ChunkLoss([(X[23:], y[23:], None)], labels, np.float64)
    weights = np.concatenate([sw[:23], np.ones(17)])
    chunks = [first, second]
    totals = sum(c.class_totals() for c in chunks)
    assert_allclose(totals, np.bincount(y_int, weights=weights), rtol=1e-14)
    sums = np.array([c.build(class_weights, fit_intercept) for c in chunks])
    layout = CoefficientLayout(N_FEATURES, n_classes, fit_intercept, np.float64)
    remote = RemoteCrossEntropy(
        ChunkPool(chunks, remote=False),
        sums / sums.sum(),
        totals * class_weights,
        40,
        layout,
    )
    full_weights = weights * class_weights[y_int]
    assert_allclose(sums.sum(), full_weights.sum(), rtol=1e-14)
    reference = LinearCrossEntropy(
        X, y_int, n_classes, sample_weight=full_weights, fit_intercept=fit_intercept
    )
    return remote, reference


@classes_param
@intercept_param
@pytest.mark.parametrize("class_weighted", [False, True])
def test_remote_cross_entropy_over_two_chunk_losses(
    n_classes, fit_intercept, class_weighted
):
    class_weights = np.array([0.5, 2.0, 1.5])[:n_classes] if class_weighted else None
    remote, reference = two_chunk_losses(n_classes, fit_intercept, class_weights)
    assert remote.n_samples == reference.n_samples == 40
    assert_allclose(remote.class_totals, reference.class_totals, rtol=1e-14)
    assert remote.class_totals.sum() == pytest.approx(1.0, rel=1e-15)
    assert_allclose(remote.data_curvature(), reference.data_curvature(), rtol=1e-13)
    rng = np.random.default_rng(2)
    coef = rng.normal(size=reference.layout.n_dof)
    v = rng.normal(size=reference.layout.n_dof)
    # the carried "raw" is a copy of the coefficients
    raw = remote.raw(coef)
    assert_array_equal(raw, coef)
    assert not np.shares_memory(raw, coef)
    out = np.empty_like(coef)
    assert remote.raw(coef, out=out) is out
    assert_array_equal(out, coef)
    assert_array_equal(remote.evaluation_point(np.zeros_like(coef), coef), coef)
    assert_allclose(remote.value(coef), reference.value(coef), rtol=1e-13)
    # the carried raw, not the first argument, is where it evaluates
    assert remote.value(np.zeros_like(coef), coef) == remote.value(coef)
    value, grad = remote.value_gradient(coef)
    ref_value, ref_grad = reference.value_gradient(coef)
    assert value == pytest.approx(ref_value, rel=1e-13)
    assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-15)
    value, grad, hessp = remote.gradient_hessian_product(coef)
    ref_value, ref_grad, ref_hessp = reference.gradient_hessian_product(coef)
    assert value == pytest.approx(ref_value, rel=1e-13)
    assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-15)
    assert_allclose(hessp(v), ref_hessp(v), rtol=1e-12, atol=1e-15)
    assert grad.dtype == np.float64


def test_remote_sample_hessian_rows_is_reproducible():
    remote, reference = two_chunk_losses()
    rng = np.random.default_rng(3)
    coef, v = rng.normal(size=(2, reference.layout.n_dof))
    _, full_grad, full_hessp = remote.gradient_hessian_product(coef)
    full_product = full_hessp(v)

    def products(random_state, n_rows=12, min_per_class=2):
        remote.sample_hessian_rows(n_rows, min_per_class, random_state)
        _, grad, hessp = remote.gradient_hessian_product(coef)
        return grad, hessp(v)

    grad_a, first = products(0)
    grad_b, second = products(0)
    _, other = products(1)
    assert_array_equal(first, second)
    assert_array_equal(grad_a, grad_b)
    assert not np.allclose(first, other)  # another draw, other rows
    assert not np.allclose(first, full_product)  # a subsample, not the full Hessian
    # The gradient stays exact.
    assert_allclose(grad_a, full_grad, rtol=1e-14, atol=1e-16)
    # Each block sampled rows of its own (fewer than it holds).
    for chunk in remote.chunks.chunks:
        for loss in chunk.losses:
            rows = loss._hessian_rows[0]
            assert 0 < len(rows) < loss.n_samples
            assert np.all(np.diff(rows) > 0)
    # A rate of one keeps every row: the full Hessian again.
    _, everything = products(0, n_rows=40, min_per_class=0)
    assert_allclose(everything, full_product, rtol=1e-12, atol=1e-15)


def test_chunk_loss_without_weight_contributes_nothing():
    X, y, sw = make_data(3, n=20)
    classes = np.arange(3)
    chunk = ChunkLoss(
        [(X[:10], y[:10], np.zeros(10)), (X[10:], y[10:], sw[10:])],
        classes,
        np.float64,
    )
    assert chunk.build(np.ones(3), True) == pytest.approx(sw[10:].sum(), rel=1e-15)
    assert len(chunk.losses) == 1
    assert_array_equal(chunk.shares, [1.0])
    reference = LinearCrossEntropy(X[10:], y[10:], 3, sample_weight=sw[10:])
    coef = np.random.default_rng(4).normal(size=reference.layout.n_dof)
    value, grad = chunk.value_gradient(coef)
    ref_value, ref_grad = reference.value_gradient(coef)
    assert value == ref_value
    assert_array_equal(grad, ref_grad)
    with pytest.raises(ValueError, match="non-negative"):
        ChunkLoss([(X, y, -np.ones(20))], classes, np.float64)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        ChunkLoss([(X, y[:-1], None)], classes, np.float64)


# ------------------------------------------- cross-entropy on array API arrays
def five_point_gradient(value, coef, h=1e-3):
    """Central finite differences of fourth order, coordinate by coordinate."""
    grad = np.empty_like(coef)
    for j in range(len(coef)):
        e = np.zeros_like(coef)
        e[j] = h
        grad[j] = (
            -value(coef + 2 * e)
            + 8 * value(coef + e)
            - 8 * value(coef - e)
            + value(coef - 2 * e)
        ) / (12 * h)
    return grad


@pytest.mark.parametrize(
    "library", ["numpy", pytest.param("array_api_strict", marks=needs_dispatch)]
)
@pytest.mark.parametrize("reuse", [False, True], ids=["once", "reuse"])
@classes_param
@intercept_param
def test_cross_entropy_gradient_on_array_api_arrays(
    library, reuse, n_classes, fit_intercept
):
    X, y, sw = make_data(n_classes)
    reference = LinearCrossEntropy(
        X, y, n_classes, sample_weight=sw, fit_intercept=fit_intercept, reuse=reuse
    )
    coef = np.random.default_rng(5).normal(scale=0.5, size=reference.layout.n_dof)
    if library == "numpy":
        entropy = reference

        def value(c):
            return entropy.value(c)

        def gradient(c):
            return entropy.value_gradient(c)[1]

        run = _run_plain
    else:
        xp = pytest.importorskip("array_api_strict")
        with config_context(array_api_dispatch=True):
            entropy = LinearCrossEntropy(
                xp.asarray(X),
                xp.asarray(y),
                n_classes,
                sample_weight=xp.asarray(sw),
                fit_intercept=fit_intercept,
                reuse=reuse,
            )
        assert type(entropy.ops).__name__ == "ArrayAPIOps"

        def value(c):
            return entropy.value(xp.asarray(c))

        def gradient(c):
            grad = entropy.value_gradient(xp.asarray(c))[1]
            assert type(grad) is type(xp.asarray(c))
            return to_numpy(grad)

        run = _run_dispatched
    grad = run(gradient, coef)
    numeric = run(lambda c: five_point_gradient(value, c), coef)
    assert_allclose(grad, numeric, rtol=1e-7, atol=1e-10)
    # and the numpy one-array term, with the same reuse
    assert_allclose(grad, reference.value_gradient(coef)[1], rtol=1e-12, atol=1e-15)
    assert run(value, coef) == pytest.approx(reference.value(coef), rel=1e-13)
    # value_gradient's value is value's
    fused = run(lambda c: entropy.value_gradient(_as(entropy, c))[0], coef)
    assert fused == pytest.approx(run(value, coef), rel=1e-14)


def _as(entropy, c):
    xp = entropy.ops.xp
    return c if xp is np else xp.asarray(c)


def _run_plain(f, *args):
    return f(*args)


def _run_dispatched(f, *args):
    with config_context(array_api_dispatch=True):
        return f(*args)


@needs_dispatch
@pytest.mark.parametrize("reuse", [False, True], ids=["once", "reuse"])
@classes_param
def test_cross_entropy_on_array_api_arrays_sees_the_targets(reuse, n_classes):
    # The gradient of the cross-entropy vanishes at no point when the labels
    # matter: flipping them must change value and gradient.
    xp = pytest.importorskip("array_api_strict")
    X, y, sw = make_data(n_classes)
    flipped = (y + 1) % n_classes
    coef = np.random.default_rng(6).normal(size=(n_classes - (n_classes == 2)) * 5)
    out = []
    with config_context(array_api_dispatch=True):
        for labels in (y, flipped):
            entropy = LinearCrossEntropy(
                xp.asarray(X),
                xp.asarray(labels),
                n_classes,
                sample_weight=xp.asarray(sw),
                reuse=reuse,
            )
            value, grad = entropy.value_gradient(xp.asarray(coef))
            out.append((value, to_numpy(grad)))
    for (value, grad), labels in zip(out, (y, flipped), strict=True):
        reference = LinearCrossEntropy(
            X, labels, n_classes, sample_weight=sw, reuse=reuse
        )
        ref_value, ref_grad = reference.value_gradient(coef)
        assert value == pytest.approx(ref_value, rel=1e-13)
        assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-15)
    assert not np.allclose(out[0][1], out[1][1])
