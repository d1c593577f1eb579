"""inference(): agreement with statsmodels, weights, pandas, sparse, dask, refusals."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.stats import chi2
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_softmax import InferenceResult, SoftmaxClassifier, inference, softmax_jacobian
from sk_softmax._covariance import MAX_PARAMETERS, cluster_sandwich, inverse_spd
from sk_softmax._hessian import row_kron

RTOL = 1e-5
TIGHT = {"alpha": 0.0, "tol": 1e-10, "solver": "newton-cg"}
STATISTICS = ["llf", "llnull", "aic", "bic", "prsquared", "llr", "llr_pvalue"]


def fit_tight(X, y, **kwargs):
    return SoftmaxClassifier(**{**TIGHT, **kwargs}).fit(X, y)


def const_last(values, n_coef, intercept=True):
    """statsmodels' class-major vector (const first) in our row order."""
    values = np.asarray(values).reshape(-1, n_coef)
    if intercept:
        values = np.hstack([values[:, 1:], values[:, :1]])
    return values.ravel()


def class_major(table):
    """MNLogit's (exog, class) frame, or Logit's series, class-major."""
    return np.asarray(table).T.ravel()


def assert_matches_statsmodels(ours, theirs, intercept=True, likelihood=True):
    """Every statistic of `ours` equals statsmodels' to RTOL.

    ``likelihood=False`` leaves out the likelihood statistics, which do not
    depend on the covariance (statsmodels' llnull takes a Nelder-Mead fit).
    """
    n_coef = np.asarray(theirs.params).shape[0]
    for name, attr in [("params", "params"), ("bse", "bse"), ("zvalues", "tvalues")]:
        expected = const_last(class_major(getattr(theirs, attr)), n_coef, intercept)
        np.testing.assert_allclose(getattr(ours, name), expected, rtol=RTOL)
    # p-values span many decades: compared relatively too.
    expected = const_last(class_major(theirs.pvalues), n_coef, intercept)
    np.testing.assert_allclose(ours.pvalues, expected, rtol=RTOL, atol=0)
    conf = np.asarray(theirs.conf_int(0.1))  # class-major rows, const first
    for side in (0, 1):
        expected = const_last(conf[:, side], n_coef, intercept)
        np.testing.assert_allclose(ours.conf_int(0.1)[:, side], expected, rtol=RTOL)
    order = const_last(np.arange(len(ours.params)), n_coef, intercept)
    cov = np.asarray(theirs.cov_params())[np.ix_(order, order)]
    np.testing.assert_allclose(ours.cov, cov, rtol=RTOL, atol=RTOL * np.abs(cov).max())
    if not likelihood:
        return
    # Without a constant, statsmodels' df_model (so llr_pvalue) still assumes one.
    for name in STATISTICS if intercept else STATISTICS[:-1]:
        np.testing.assert_allclose(
            getattr(ours, name), getattr(theirs, name), rtol=RTOL
        )
    assert ours.nobs == theirs.nobs
    if intercept:
        assert ours.df_model == theirs.df_model
        assert ours.df_resid == theirs.df_resid


@pytest.fixture(scope="module")
def sm():
    return pytest.importorskip("statsmodels.api")


@pytest.fixture(scope="module")
def anes96(sm):
    data = sm.datasets.anes96.load_pandas()
    X, y = data.exog, data.endog.astype(int)
    return X, y, fit_tight(X, y), data.data["educ"].to_numpy().astype(int)


def mnlogit(sm, X, y, intercept=True, **fit_kwargs):
    X = pd.DataFrame(X)
    exog = sm.add_constant(X) if intercept else X
    return sm.MNLogit(np.asarray(y), exog).fit(disp=0, method="newton", **fit_kwargs)


def test_anes96_matches_mnlogit(sm, anes96):
    X, y, clf, _ = anes96
    result = inference(clf, X, y)
    assert result.covariance == "nonrobust" and result.reference == 0
    assert_matches_statsmodels(result, mnlogit(sm, X, y))


@pytest.mark.parametrize("covariance", ["HC0", "cluster"])
def test_anes96_robust_covariances_match(sm, anes96, covariance):
    X, y, clf, educ = anes96
    groups = educ if covariance == "cluster" else None
    kwargs = {"cov_kwds": {"groups": educ}} if groups is not None else {}
    theirs = mnlogit(sm, X, y, cov_type=covariance, **kwargs)
    ours = inference(clf, X, y, covariance=covariance, groups=groups)
    assert ours.covariance == covariance
    assert_matches_statsmodels(ours, theirs, likelihood=False)


def iris_problems():
    X, y = load_iris(return_X_y=True, as_frame=True)
    # Three classes on one feature (on more, setosa is separable: no MLE).
    yield "iris K=3", X[["sepal length (cm)"]], y
    # Versicolor against virginica on all four features.
    yield "iris binary", X[y > 0], y[y > 0]
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(400, 3))
    logits = Z @ rng.normal(size=(3, 4)) + rng.normal(size=4)
    labels = (logits + rng.gumbel(size=logits.shape)).argmax(axis=1)
    yield "synthetic K=4", Z, labels


@pytest.mark.parametrize(
    "name, X, y", list(iris_problems()), ids=[p[0] for p in iris_problems()]
)
def test_small_problems_match_mnlogit(sm, name, X, y):
    clf = fit_tight(X, y)
    for covariance in ["nonrobust", "HC0"]:
        theirs = mnlogit(sm, X, y, cov_type=covariance)
        ours = inference(clf, X, y, covariance=covariance)
        assert_matches_statsmodels(ours, theirs, likelihood=covariance == "nonrobust")


def test_reference_class_matches_reordered_mnlogit(sm):
    _, X, y = next(iris_problems())
    clf = fit_tight(X, y)
    ours = inference(clf, X, y, reference=2)
    assert ours.reference == 2
    assert ours.index.get_level_values("class").unique().tolist() == [0, 1]
    # statsmodels takes the first sorted label as reference: relabel 2 -> -1.
    theirs = mnlogit(sm, X, np.where(y == 2, -1, y))
    assert_matches_statsmodels(ours, theirs)


def test_binary_reference_flips_the_sign(sm):
    _, X, y = list(iris_problems())[1]
    clf = fit_tight(X, y)
    default, flipped = inference(clf, X, y), inference(clf, X, y, reference=2)
    assert default.index.get_level_values("class").unique().tolist() == [2]
    np.testing.assert_allclose(flipped.params, -default.params, rtol=1e-12)
    # The same matrix from 1 - p instead of p: equal up to rounding.
    np.testing.assert_allclose(flipped.bse, default.bse, rtol=1e-9)
    assert_matches_statsmodels(
        default, sm.Logit(y.to_numpy() == 2, sm.add_constant(X)).fit(disp=0)
    )


def test_without_intercept_matches_mnlogit(sm):
    *_, (_, X, y) = iris_problems()
    clf = fit_tight(X, y, fit_intercept=False)
    ours = inference(clf, X, y)
    assert "intercept" not in ours.index.get_level_values("feature")
    theirs = mnlogit(sm, X, y, intercept=False)
    assert_matches_statsmodels(ours, theirs, intercept=False)
    # statsmodels' df_model assumes a constant; ours counts the slopes.
    assert ours.df_model == 9 == theirs.df_model + 3
    assert ours.llr_pvalue == pytest.approx(chi2.sf(theirs.llr, 9), rel=RTOL)


def test_pandas_table(anes96):
    X, y, clf, _ = anes96
    frame = inference(clf, X, y).summary_frame(alpha=0.1)
    assert frame.index.names == ["class", "feature"]
    assert list(frame.columns) == [
        "coef",
        "std_err",
        "z",
        "p_value",
        "ci_lower",
        "ci_upper",
    ]
    assert frame.loc[1].index.tolist() == [*X.columns, "intercept"]
    assert frame.index.get_level_values("class").unique().tolist() == [1, 2, 3, 4, 5, 6]
    lower, upper = frame["ci_lower"], frame["ci_upper"]
    assert ((lower < frame["coef"]) & (frame["coef"] < upper)).all()
    np.testing.assert_allclose(
        frame.loc[(3, "age"), "coef"], clf.coef_[3, 2] - clf.coef_[0, 2]
    )


def test_pipeline_applies_the_steps_and_names_features():
    X, y = load_iris(return_X_y=True, as_frame=True)
    X = X[["sepal length (cm)", "sepal width (cm)"]]
    y = (y == 2).astype(int)  # virginica against the rest: not separable
    pipe = make_pipeline(StandardScaler(), SoftmaxClassifier(**TIGHT))
    pipe.set_output(transform="pandas").fit(X, y)
    through_pipe = inference(pipe, X, y)
    direct = inference(pipe[-1], pipe[0].transform(X), y)
    np.testing.assert_array_equal(through_pipe.cov, direct.cov)
    assert through_pipe.index.get_level_values("feature").tolist() == [
        *X.columns,
        "intercept",
    ]


def test_integer_weights_equal_repeated_rows():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 3))
    y = rng.integers(0, 3, 120)
    weights = rng.integers(0, 4, 120)
    groups = rng.integers(0, 10, 120)
    repeat = np.repeat(np.arange(120), weights)
    clf = fit_tight(X, y)  # any fixed model: inference only sums over rows
    for covariance, extra in [
        ("nonrobust", {}),
        ("HC0", {}),
        ("cluster", {"groups": groups}),
    ]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # not its optimum
            weighted = inference(
                clf, X, y, sample_weight=weights, covariance=covariance, **extra
            )
            repeated_extra = {k: v[repeat] for k, v in extra.items()}
            repeated = inference(
                clf, X[repeat], y[repeat], covariance=covariance, **repeated_extra
            )
        np.testing.assert_allclose(weighted.cov, repeated.cov, rtol=1e-10)
        for name in ["params", "pvalues", *STATISTICS, "nobs", "df_resid"]:
            np.testing.assert_allclose(
                getattr(weighted, name), getattr(repeated, name), rtol=1e-10
            )


def test_sparse_equals_dense():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 4)) * (rng.random((200, 4)) < 0.5)
    y = rng.integers(0, 3, 200)
    clf = fit_tight(X, y)
    groups = rng.integers(0, 12, 200)
    for covariance in ["nonrobust", "HC0", "cluster"]:
        extra = {"groups": groups} if covariance == "cluster" else {}
        dense = inference(clf, X, y, covariance=covariance, **extra)
        sparse = inference(clf, sp.csr_matrix(X), y, covariance=covariance, **extra)
        np.testing.assert_allclose(sparse.cov, dense.cov, rtol=1e-10)
        assert sparse.llf == pytest.approx(dense.llf, rel=1e-12)


def test_dask_chunks_equal_in_memory():
    da = pytest.importorskip("dask.array")
    import dask

    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 3))
    y = np.array(["a", "b", "c"])[rng.integers(0, 3, 300)]
    weights = rng.random(300) + 0.5
    groups = rng.integers(0, 15, 300)
    clf = SoftmaxClassifier(**TIGHT, class_weight="balanced")
    clf.fit(X, y, sample_weight=weights)
    with dask.config.set(scheduler="synchronous"):
        for covariance in ["HC0", "cluster"]:  # the information too
            extra = {"groups": groups} if covariance == "cluster" else {}
            memory = inference(
                clf, X, y, sample_weight=weights, covariance=covariance, **extra
            )
            dask_extra = {k: da.from_array(v, chunks=70) for k, v in extra.items()}
            lazy = inference(
                clf,
                da.from_array(X, chunks=(70, 3)),
                da.from_array(y, chunks=70),
                sample_weight=da.from_array(weights, chunks=70),
                covariance=covariance,
                **dask_extra,
            )
            np.testing.assert_allclose(lazy.cov, memory.cov, rtol=1e-10)
            for name in ["params", *STATISTICS, "nobs"]:
                np.testing.assert_allclose(
                    getattr(lazy, name), getattr(memory, name), rtol=1e-10
                )


def test_dask_dataframe_names_the_features():
    dd = pytest.importorskip("dask.dataframe")
    import dask

    _, X, y = next(iris_problems())
    clf = fit_tight(X, y)
    with dask.config.set(scheduler="synchronous"):
        lazy = inference(
            clf,
            dd.from_pandas(X, npartitions=3),
            dd.from_pandas(y, npartitions=3),
        )
    memory = inference(clf, X, y)
    assert lazy.index.equals(memory.index)
    assert lazy.index.get_level_values("feature")[0] == "sepal length (cm)"
    np.testing.assert_allclose(lazy.cov, memory.cov, rtol=1e-10)


def explicit_information(clf, X, free, s=None):
    """The information by per-sample K x K Jacobians: the definition."""
    X1 = np.hstack([X, np.ones((len(X), 1))])
    P = clf.predict_proba(X)
    s = np.ones(len(X)) if s is None else s
    return sum(
        s[i] * np.kron(softmax_jacobian(P[i, free]), np.outer(X1[i], X1[i]))
        for i in range(len(X))
    )


def test_laplace_is_the_inverse_penalised_hessian():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(150, 2))
    y = rng.integers(0, 3, 150)
    clf = fit_tight(X, y, alpha=0.05)
    with pytest.warns(UserWarning, match="posterior"):
        result = inference(clf, X, y)
    assert (result.covariance, result.reference) == ("laplace", None)
    assert result.index.get_level_values("class").unique().tolist() == [0, 1, 2]
    # diag(p) - p p^T over all three classes, plus alpha * sum(s) on W.
    hessian = explicit_information(clf, X, [0, 1, 2])
    hessian += np.diag(np.tile([1.0, 1.0, 0.0], 3) * 0.05 * 150)
    # Singular along the common intercept shift: its pseudo-inverse.
    np.testing.assert_allclose(result.cov, np.linalg.pinv(hessian), atol=1e-12)
    params = result.params.reshape(3, 3)
    np.testing.assert_allclose(params[:, :2], clf.coef_, rtol=1e-12)
    np.testing.assert_allclose(params.sum(axis=0), 0, atol=1e-8)
    assert np.isnan([result.aic, result.bic, result.llr_pvalue]).all()
    # With a reference: the contrasts, and their covariance mapped linearly.
    contrasts = inference(clf, X, y, covariance="laplace", reference=1)
    T = np.kron(np.array([[1.0, -1.0, 0.0], [0.0, -1.0, 1.0]]), np.eye(3))
    np.testing.assert_allclose(contrasts.cov, T @ result.cov @ T.T, atol=1e-12)
    np.testing.assert_allclose(contrasts.params, T @ result.params, atol=1e-12)


def test_laplace_binary_keeps_the_single_row():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(100, 2))
    y = (X[:, 0] + rng.logistic(size=100) > 0).astype(int)
    clf = fit_tight(X, y, alpha=0.1)
    result = inference(clf, X, y, covariance="laplace")
    assert result.reference == 0
    hessian = explicit_information(clf, X, [1])
    hessian += np.diag([0.1 * 100, 0.1 * 100, 0.0])
    np.testing.assert_allclose(result.cov, np.linalg.inv(hessian), rtol=1e-10)


@pytest.mark.parametrize("n_groups", [3, 40])  # both ways of forming it
def test_cluster_sandwich(n_groups):
    rng = np.random.default_rng(9)
    A = rng.normal(size=(8, 12))
    bread = inverse_spd(A @ A.T, "test matrix")
    np.testing.assert_allclose(bread @ (A @ A.T), np.eye(8), atol=1e-10)
    assert np.array_equal(bread, bread.T)
    scores = rng.normal(size=(n_groups, 8))
    cov = cluster_sandwich(bread, scores)
    np.testing.assert_allclose(cov, bread @ scores.T @ scores @ bread, rtol=1e-10)
    assert np.array_equal(cov, cov.T)


def test_row_kron_sparse_equals_dense():
    rng = np.random.default_rng(6)
    M, X = rng.normal(size=(5, 3)), rng.normal(size=(5, 4))
    X[X < 0] = 0
    expected = np.stack([np.kron(M[i], X[i]) for i in range(5)])
    np.testing.assert_array_equal(row_kron(M, X), expected)
    np.testing.assert_array_equal(row_kron(M, sp.csr_array(X)).toarray(), expected)


def test_nothing_is_added_to_the_estimator(anes96):
    X, y, clf, _ = anes96
    before = {
        k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(clf).items()
    }
    result = inference(clf, X, y)
    assert isinstance(result, InferenceResult)
    assert vars(clf).keys() == before.keys()
    np.testing.assert_array_equal(clf.coef_, before["coef_"])


def test_loose_fit_warns_and_tight_fit_does_not(anes96):
    X, y, clf, _ = anes96
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inference(clf, X, y)
    loose = SoftmaxClassifier(alpha=0, tol=1e-2, solver="newton-cg").fit(X, y)
    with pytest.warns(ConvergenceWarning, match="standard errors"):
        inference(loose, X, y)
    with pytest.warns(ConvergenceWarning, match="standard errors"):
        inference(clf, X.iloc[:500], y.iloc[:500])


def test_float32_model():
    _, X, y = next(iris_problems())
    X32 = X.to_numpy(dtype=np.float32)
    clf = SoftmaxClassifier(alpha=0, tol=1e-5, solver="newton-cg").fit(X32, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = inference(clf, X32, y)
    assert result.params.dtype == np.float64 and np.isfinite(result.bse).all()


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(60, 2))
    y = rng.integers(0, 3, 60)
    return X, y, fit_tight(X, y)


@pytest.mark.parametrize(
    "params, kwargs, match",
    [
        ({"alpha": 0.1, "l1_ratio": 0.5, "solver": "gd"}, {}, "after selection"),
        (
            {"alpha": 0.1, "l1_ratio": 1.0, "solver": "gd"},
            {"covariance": "laplace"},
            "after selection",
        ),
        ({}, {"covariance": "cluster"}, "needs groups"),
        ({}, {"groups": np.zeros(60)}, "only used by covariance='cluster'"),
        ({"alpha": 0.1}, {"covariance": "nonrobust"}, "penalised"),
        ({"alpha": 0.1}, {"covariance": "HC0"}, "penalised"),
        ({}, {"covariance": "laplace"}, "alpha=0"),
        ({}, {"covariance": "sandwich"}, "covariance must be one of"),
        ({}, {"reference": 7}, "reference must be one of"),
        ({}, {"covariance": "cluster", "groups": np.zeros(60)}, "at least 2 groups"),
    ],
)
def test_refusals(small, params, kwargs, match):
    X, y, clf = small
    clf = SoftmaxClassifier(**{**TIGHT, **params}).fit(X, y)
    with pytest.raises(ValueError, match=match):
        inference(clf, X, y, **kwargs)


def test_data_that_do_not_match_the_model(small):
    X, y, clf = small
    with pytest.raises(ValueError, match=r"does not know: \[5\]"):
        inference(clf, X, np.where(y == 2, 5, y))
    with pytest.raises(ValueError, match="features"):
        inference(clf, X[:, :1], y)
    with pytest.raises(ValueError, match=r"Classes \[2\] have no samples"):
        inference(clf, X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match="must exceed the number of parameters"):
        inference(clf, X, y, sample_weight=np.full(60, 1 / 60))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        inference(clf, X, y[:-1])
    with pytest.raises(NotFittedError):
        inference(SoftmaxClassifier(), X, y)
    with pytest.raises(TypeError, match="SoftmaxClassifier"):
        inference(LogisticRegression().fit(X, y), X, y)


def test_singular_information_is_refused():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(80, 1))
    X = np.hstack([x, 2 * x])  # collinear
    y = rng.integers(0, 2, 80)
    clf = SoftmaxClassifier(alpha=0, tol=1e-6).fit(X, y)
    with pytest.raises(ValueError, match="singular"):
        inference(clf, X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_too_many_parameters_are_refused():
    n_features = MAX_PARAMETERS // 2  # two free classes x (features + 1)
    X = np.eye(3, n_features)
    clf = SoftmaxClassifier(alpha=0, max_iter=1, solver="gd").fit(X, [0, 1, 2])
    with pytest.raises(ValueError, match=r"2 classes x 2501 coefficients = 5002"):
        inference(clf, X, [0, 1, 2])


def test_feature_named_intercept_is_refused():
    X = pd.DataFrame({"intercept": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    clf = SoftmaxClassifier(alpha=0.1).fit(X, [0, 1, 0, 1])
    with pytest.raises(ValueError, match="named 'intercept'"):
        inference(clf, X, [0, 1, 0, 1], covariance="laplace")


@pytest.mark.parametrize("alpha", [0, 1, -0.1, True, "0.05"])
def test_significance_level_is_checked(small, alpha):
    X, y, clf = small
    result = inference(clf, X, y)
    with pytest.raises(ValueError, match="significance level"):
        result.summary_frame(alpha=alpha)
