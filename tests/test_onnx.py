"""ONNX export: onnxruntime reproduces predict and predict_proba."""

import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_blobs
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier

pytest.importorskip("skl2onnx")
rt = pytest.importorskip("onnxruntime")

from skl2onnx import convert_sklearn, to_onnx  # noqa: E402
from skl2onnx.common.data_types import FloatTensorType  # noqa: E402

import sk_softmax.onnx  # noqa: E402, F401  (registers the converter)

NAMES = np.array(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
)


def _data(n_classes, labels, dtype):
    if n_classes == 10:
        X, y = load_digits(return_X_y=True)
        X, y = X[::3], y[::3]
    else:
        X, y = make_blobs(
            120, n_features=4, centers=n_classes, cluster_std=3.0, random_state=0
        )
    if labels == "str":
        y = NAMES[y]
    return X.astype(dtype), y


def _run(onx, X):
    session = rt.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


def _check(model, X, zipmap=False):
    clf = model[-1] if hasattr(model, "steps") else model
    onx = to_onnx(model, X[:1], options={id(clf): {"zipmap": zipmap}})
    label, proba = _run(onx, X)
    if zipmap:
        proba = np.array([[row[c] for c in clf.classes_] for row in proba])
    np.testing.assert_array_equal(label, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=0, atol=1e-5)
    return onx


@pytest.mark.parametrize("n_classes", [2, 3, 10])
@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pipeline", [False, True])
def test_onnx_matches_predict(n_classes, labels, dtype, pipeline):
    X, y = _data(n_classes, labels, dtype)
    model = SoftmaxClassifier()
    if pipeline:
        model = make_pipeline(StandardScaler(), model)
    model.fit(X, y)
    if not pipeline:
        assert model.coef_.dtype == dtype
    _check(model, X)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("labels", ["int", "str"])
def test_onnx_default_zipmap(n_classes, labels):
    # skl2onnx's default for classifiers: probabilities as a list of dicts
    # (ZipMap takes float32 only, as for every skl2onnx classifier).
    X, y = _data(n_classes, labels, np.float32)
    model = make_pipeline(StandardScaler(), SoftmaxClassifier()).fit(X, y)
    onx = to_onnx(model, X[:1])
    assert "ZipMap" in {node.op_type for node in onx.graph.node}
    _check(model, X, zipmap=True)


def test_onnx_graph_ops():
    X, y = _data(3, "int", np.float32)
    onx = _check(SoftmaxClassifier().fit(X, y), X)
    ops = [node.op_type for node in onx.graph.node]
    assert {"MatMul", "Add", "Softmax", "ArgMax"} <= set(ops)
    assert "Sigmoid" not in ops


def test_onnx_binary_is_two_column_softmax():
    # Strong regularisation keeps the logits moderate, where sigmoid(z) and
    # sigmoid(2 z) differ clearly.
    X, y = _data(2, "str", np.float64)
    clf = SoftmaxClassifier(alpha=1.0).fit(X, y)
    z = clf.decision_function(X)
    onx = to_onnx(clf, X[:1], options={id(clf): {"zipmap": False}})
    ops = [node.op_type for node in onx.graph.node]
    assert {"MatMul", "Add", "Softmax", "ArgMax"} <= set(ops)
    label, proba = _run(onx, X)
    sigmoid = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(
        proba, np.column_stack([1 - sigmoid, sigmoid]), atol=1e-12
    )
    assert np.abs(proba[:, 1] - 1 / (1 + np.exp(-2 * z))).max() > 1e-2
    np.testing.assert_array_equal(
        label, np.where(z > 0, clf.classes_[1], clf.classes_[0])
    )


def test_onnx_convert_sklearn_initial_types():
    X, y = _data(3, "str", np.float32)
    clf = SoftmaxClassifier().fit(X, y)
    onx = convert_sklearn(
        clf,
        initial_types=[("X", FloatTensorType([None, X.shape[1]]))],
        options={id(clf): {"zipmap": False}},
    )
    label, proba = _run(onx, X)
    np.testing.assert_array_equal(label, clf.predict(X))
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-5)


def test_optional_import():
    # In a fresh interpreter: `import sk_softmax` leaves skl2onnx alone, and
    # without skl2onnx, `import sk_softmax.onnx` says how to install it.
    code = (
        "import sys, sk_softmax\n"
        "assert 'skl2onnx' not in sys.modules\n"
        "sys.modules['skl2onnx'] = None\n"
        "try:\n    import sk_softmax.onnx\n"
        "except ImportError as exc:\n    assert 'pip install \".[onnx]\"' in str(exc)\n"
        "else:\n    raise AssertionError('no ImportError')"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
