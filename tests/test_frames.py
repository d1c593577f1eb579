"""coef_frame and proba_frame: fitted results as labelled pandas DataFrames."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier, coef_frame, proba_frame

COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
NAMES = np.array(["setosa", "versicolor", "virginica"])


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    index = pd.Index([f"s{i}" for i in range(len(y))], name="sample")
    return pd.DataFrame(X, columns=COLUMNS, index=index), y


def _fit(X, y, **params):
    return SoftmaxClassifier(alpha=1e-2, **params).fit(X, y)


def _binary(X, y):
    keep = y > 0  # versicolor against virginica: not separable
    return X[keep], y[keep]


# ------------------------------------------------------------------ coef_frame
def test_coef_frame_multiclass_dataframe(iris):
    X, y = iris
    clf = _fit(X, NAMES[y])
    frame = coef_frame(clf)
    assert frame.shape == (4, 3)
    assert frame.index.tolist() == COLUMNS
    assert frame.index.name == "feature"
    assert frame.columns.tolist() == NAMES.tolist()
    assert frame.columns.name == "class"
    assert frame.to_numpy().dtype == clf.coef_.dtype
    assert_array_equal(frame.to_numpy(), clf.coef_.T)
    assert frame.loc["petal_length", "virginica"] == clf.coef_[2, 2]


def test_coef_frame_ndarray_input_gets_sklearn_names(iris):
    X, y = iris
    clf = _fit(X.to_numpy(), y)
    assert not hasattr(clf, "feature_names_in_")
    frame = coef_frame(clf)
    assert frame.index.tolist() == ["x0", "x1", "x2", "x3"]
    assert frame.columns.tolist() == [0, 1, 2]
    assert_array_equal(frame.to_numpy(), clf.coef_.T)


def test_coef_frame_names_match_get_feature_names_out(iris):
    # The x0, x1, ... names are scikit-learn's for features without names.
    X, y = iris
    clf = _fit(X.to_numpy(), y)
    names = StandardScaler().fit(X.to_numpy()).get_feature_names_out()
    assert coef_frame(clf).index.tolist() == names.tolist()


def test_coef_frame_binary_is_one_column_of_the_second_class(iris):
    X, y = _binary(*iris)
    clf = _fit(X, NAMES[y])
    frame = coef_frame(clf)
    assert clf.coef_.shape == (1, 4)
    assert frame.columns.tolist() == ["virginica"]  # classes_[1]
    assert_array_equal(frame.to_numpy(), clf.coef_.T)
    assert_array_equal(frame["virginica"], clf.coef_[0])


def test_coef_frame_binary_ndarray_integer_labels(iris):
    X, y = _binary(*iris)
    clf = _fit(X.to_numpy(), y)
    frame = coef_frame(clf)
    assert frame.columns.tolist() == [2]
    assert frame.index.tolist() == ["x0", "x1", "x2", "x3"]
    assert_array_equal(frame.to_numpy(), clf.coef_.T)


@pytest.mark.parametrize("binary", [False, True])
def test_coef_frame_intercept_row(iris, binary):
    X, y = _binary(*iris) if binary else iris
    clf = _fit(X, y)
    frame = coef_frame(clf, intercept=True)
    assert frame.index.tolist() == [*COLUMNS, "intercept"]
    assert_array_equal(frame.iloc[:-1].to_numpy(), clf.coef_.T)
    assert_array_equal(frame.loc["intercept"].to_numpy(), clf.intercept_)
    assert_array_equal(coef_frame(clf).to_numpy(), clf.coef_.T)  # default: none


def test_coef_frame_intercept_row_without_fit_intercept(iris):
    X, y = iris
    clf = _fit(X, y, fit_intercept=False)
    frame = coef_frame(clf, intercept=True)
    assert_array_equal(frame.loc["intercept"].to_numpy(), np.zeros(3))


def test_coef_frame_intercept_name_clash(iris):
    X, y = iris
    clf = _fit(X.rename(columns={"sepal_length": "intercept"}), y)
    assert coef_frame(clf).index[0] == "intercept"
    with pytest.raises(ValueError, match="named 'intercept'"):
        coef_frame(clf, intercept=True)


def test_coef_frame_is_a_copy(iris):
    X, y = iris
    clf = _fit(X, y)
    before = clf.coef_.copy()
    frame = coef_frame(clf, intercept=False)
    frame.iloc[0, 0] = 1e6
    frame.loc["x_new"] = 0.0
    assert_array_equal(clf.coef_, before)


def test_coef_frame_float32(iris):
    X, y = iris
    clf = _fit(X.astype(np.float32), y)
    frame = coef_frame(clf, intercept=True)
    assert (frame.dtypes == np.float32).all()
    assert_array_equal(frame.iloc[:-1].to_numpy(), clf.coef_.T)


def test_coef_frame_sparse_input(iris):
    X, y = iris
    clf = _fit(sp.csr_matrix(X.to_numpy()), y)
    assert_array_equal(coef_frame(clf).to_numpy(), clf.coef_.T)


def test_coef_frame_logistic_regression(iris):
    # Same attribute layout: the function is not tied to SoftmaxClassifier.
    X, y = iris
    for X_fit, y_fit in [(X, y), _binary(X, y)]:
        lr = LogisticRegression().fit(X_fit, y_fit)
        frame = coef_frame(lr, intercept=True)
        assert frame.columns.tolist() == lr.classes_[-lr.coef_.shape[0] :].tolist()
        assert_array_equal(frame.iloc[:-1].to_numpy(), lr.coef_.T)
        dense = coef_frame(lr)
        assert_array_equal(coef_frame(lr.sparsify()).to_numpy(), dense.to_numpy())


def test_coef_frame_pipeline_final_step(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), SoftmaxClassifier()).fit(X, y)
    with pytest.raises(TypeError, match=r"pipeline\[-1\]"):
        coef_frame(pipe)
    assert_array_equal(coef_frame(pipe[-1]).to_numpy(), pipe[-1].coef_.T)
    pipe.set_output(transform="pandas").fit(X, y)
    assert coef_frame(pipe[-1]).index.tolist() == COLUMNS


# ----------------------------------------------------------------- proba_frame
def test_proba_frame_dataframe_keeps_index(iris):
    X, y = iris
    clf = _fit(X, NAMES[y])
    rows = X.iloc[[5, 70, 140, 3]]
    frame = proba_frame(clf, rows)
    assert frame.index.equals(rows.index)
    assert frame.index.name == "sample"
    assert frame.columns.tolist() == NAMES.tolist()
    assert frame.columns.name == "class"
    proba = clf.predict_proba(rows)
    assert frame.to_numpy().dtype == proba.dtype
    assert frame.to_numpy().tobytes() == proba.tobytes()


def test_proba_frame_non_default_index_aligns(iris):
    X, y = iris
    clf = _fit(X, y)
    shuffled = X.sample(frac=1.0, random_state=0)
    shuffled.index = pd.MultiIndex.from_arrays(
        [shuffled.index, np.arange(len(shuffled))], names=["sample", "row"]
    )
    frame = proba_frame(clf, shuffled)
    assert frame.index.equals(shuffled.index)
    # Aligned with X by label, not position: join works without bookkeeping.
    joined = shuffled.join(frame)
    assert_array_equal(joined[[0, 1, 2]].to_numpy(), clf.predict_proba(shuffled))


def test_proba_frame_ndarray_input(iris):
    X, y = iris
    clf = _fit(X.to_numpy(), y)
    frame = proba_frame(clf, X.to_numpy()[:10])
    assert frame.index.equals(pd.RangeIndex(10))
    assert frame.columns.tolist() == [0, 1, 2]
    assert_array_equal(frame.to_numpy(), clf.predict_proba(X.to_numpy()[:10]))


def test_proba_frame_binary_has_both_columns(iris):
    X, y = _binary(*iris)
    clf = _fit(X, NAMES[y])
    frame = proba_frame(clf, X)
    assert frame.columns.tolist() == ["versicolor", "virginica"]
    assert frame.index.equals(X.index)
    assert frame.to_numpy().tobytes() == clf.predict_proba(X).tobytes()


def test_proba_frame_float32(iris):
    X, y = iris
    clf = _fit(X.astype(np.float32), y)
    frame = proba_frame(clf, X.astype(np.float32))
    assert (frame.dtypes == np.float32).all()
    assert_array_equal(frame.to_numpy(), clf.predict_proba(X.astype(np.float32)))


def test_proba_frame_sparse_input(iris):
    X, y = iris
    clf = _fit(X.to_numpy(), y)
    X_sparse = sp.csr_matrix(X.to_numpy())
    assert_array_equal(
        proba_frame(clf, X_sparse).to_numpy(), clf.predict_proba(X_sparse)
    )


def test_proba_frame_pipeline(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), SoftmaxClassifier()).fit(X, NAMES[y])
    frame = proba_frame(pipe, X.iloc[:7])
    assert frame.index.equals(X.index[:7])
    assert frame.columns.tolist() == NAMES.tolist()
    assert_array_equal(frame.to_numpy(), pipe.predict_proba(X.iloc[:7]))


# ----------------------------------------------------------- categorical targets
def _categorical_targets(y):
    strings = NAMES[y]
    return {
        "Categorical[str]": pd.Categorical(strings),
        "Series[category, str]": pd.Series(strings, dtype="category"),
        "Categorical[int]": pd.Categorical(y + 10),
        "Series[category, int]": pd.Series(y + 10, dtype="category"),
        "ordered, unused category": pd.Series(
            pd.Categorical(
                strings,
                categories=["virginica", "versicolor", "setosa", "unseen"],
                ordered=True,
            )
        ),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "Categorical[str]",
        "Series[category, str]",
        "Categorical[int]",
        "Series[category, int]",
        "ordered, unused category",
    ],
)
@pytest.mark.parametrize("binary", [False, True])
def test_categorical_targets(iris, kind, binary):
    X, y = iris
    if binary:
        X, y = _binary(X, y)
    target = _categorical_targets(y)[kind]
    clf = _fit(X, target)
    values = np.unique(np.asarray(target))  # the observed category values
    assert clf.classes_.tolist() == values.tolist()

    coef = coef_frame(clf)
    expected = values[1:] if binary else values
    assert coef.columns.tolist() == expected.tolist()
    assert_array_equal(coef.to_numpy(), clf.coef_.T)

    proba = proba_frame(clf, X)
    assert proba.columns.tolist() == values.tolist()
    assert proba.index.equals(X.index)
    assert proba.to_numpy().tobytes() == clf.predict_proba(X).tobytes()
    # Labels index the columns: each row's largest is the predicted class.
    assert_array_equal(proba.idxmax(axis=1).to_numpy(), clf.predict(X))


def test_integer_category_columns_are_integers(iris):
    X, y = iris
    clf = _fit(X, pd.Series(y + 10, dtype="category"))
    frame = proba_frame(clf, X)
    assert frame.columns.tolist() == [10, 11, 12]
    assert frame[11].tolist() == frame.iloc[:, 1].tolist()
    assert coef_frame(clf)[12].tolist() == clf.coef_[2].tolist()


# ------------------------------------------------------------------- not fitted
@pytest.mark.parametrize(
    "call",
    [
        lambda clf, X: coef_frame(clf),
        lambda clf, X: coef_frame(clf, intercept=True),
        lambda clf, X: proba_frame(clf, X),
    ],
    ids=["coef_frame", "coef_frame-intercept", "proba_frame"],
)
def test_not_fitted(iris, call):
    X, _ = iris
    with pytest.raises(NotFittedError):
        call(SoftmaxClassifier(), X)


def test_proba_frame_rejects_dask(iris):
    da = pytest.importorskip("dask.array")
    X, y = iris
    clf = _fit(X.to_numpy(), y)
    with pytest.raises(TypeError, match="dask"):
        proba_frame(clf, da.from_array(X.to_numpy(), chunks=50))
