"""Array API inputs (array-api-strict, torch on CPU) with every full-batch solver.

With ``array_api_dispatch=True`` the fit must stay in the input's namespace and
on its device, and reach the numpy fit's optimum.
"""

import numpy as np
import pytest
from sklearn import config_context
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier
from sk_softmax.utils._sklearn_compat import array_api_unavailable, move_to

# scikit-learn's array API dispatch has its own requirements (scipy >= 1.14):
# the oldest supported releases lack them, and so array API inputs.
pytestmark = pytest.mark.skipif(
    array_api_unavailable() is not None,
    reason=f"no array API dispatch here: {array_api_unavailable()}",
)
FULL_BATCH = ["auto", "gd", "lbfgs", "newton-cg"]


def namespaces():
    out = []
    try:
        import array_api_strict

        out.append(pytest.param(array_api_strict, None, id="array_api_strict"))
        device1 = array_api_strict.Device("device1")
        out.append(pytest.param(array_api_strict, device1, id="array_api_strict-dev1"))
    except ImportError:
        out.append(
            pytest.param(None, None, id="array_api_strict", marks=pytest.mark.skip)
        )
    try:
        import torch

        out.append(pytest.param(torch, "cpu", id="torch-cpu"))
    except ImportError:
        out.append(pytest.param(None, None, id="torch", marks=pytest.mark.skip))
    return out


def data(n_classes=3, dtype=np.float64):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(dtype)
    if n_classes == 2:
        return X[y > 0], (y[y > 0] == 2).astype(np.int64)
    return X, y


def on(xp, device, a):
    return xp.asarray(a, device=device) if device is not None else xp.asarray(a)


def to_numpy(a):
    return np.asarray(move_to(a, xp=np, device="cpu"))


@pytest.mark.parametrize("xp, device", namespaces())
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("solver", FULL_BATCH)
def test_fit_stays_on_the_device_and_matches_numpy(xp, device, n_classes, solver):
    X, y = data(n_classes)
    params = {"solver": solver, "alpha": 1e-2, "tol": 1e-8}
    reference = SoftmaxClassifier(**params).fit(X, y)
    X_xp, y_xp = on(xp, device, X), on(xp, device, y)
    with config_context(array_api_dispatch=True):
        model = SoftmaxClassifier(**params).fit(X_xp, y_xp)
        outputs = {
            name: getattr(model, name)(X_xp)
            for name in ["predict", "predict_proba", "predict_log_proba"]
        }
        decision = model.decision_function(X_xp)
    assert model.n_iter_ == reference.n_iter_
    for name in ["coef_", "intercept_", "classes_"]:
        attribute = getattr(model, name)
        assert type(attribute) is type(X_xp), name
        assert attribute.device == X_xp.device, name
    for name, out in {**outputs, "decision_function": decision}.items():
        assert type(out) is type(X_xp), name
        assert out.device == X_xp.device, name
    np.testing.assert_allclose(to_numpy(model.coef_), reference.coef_, atol=1e-7)
    np.testing.assert_allclose(
        to_numpy(outputs["predict_proba"]), reference.predict_proba(X), atol=1e-9
    )
    np.testing.assert_array_equal(to_numpy(outputs["predict"]), reference.predict(X))
    assert tuple(decision.shape) == reference.decision_function(X).shape


@pytest.mark.parametrize("xp, device", namespaces())
def test_float32_weights_and_warm_start_on_the_device(xp, device):
    X, y = data(3, np.float32)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    params = {"alpha": 1e-2, "tol": 1e-4, "class_weight": "balanced"}
    reference = SoftmaxClassifier(**params).fit(X, y, sample_weight=weights)
    with config_context(array_api_dispatch=True):
        X_xp = on(xp, device, X)
        model = SoftmaxClassifier(warm_start=True, **params)
        model.fit(X_xp, on(xp, device, y), sample_weight=on(xp, device, weights))
        first = model.n_iter_
        model.fit(X_xp, on(xp, device, y), sample_weight=on(xp, device, weights))
        proba = to_numpy(model.predict_proba(X_xp))
    assert model.coef_.dtype == xp.float32
    assert model.n_iter_ <= first  # starts at the solution
    assert np.abs(proba - reference.predict_proba(X)).max() < 1e-4


@pytest.mark.parametrize("xp, device", namespaces())
def test_other_namespaces_and_solvers_are_refused(xp, device):
    X, y = data(3)
    with config_context(array_api_dispatch=True):
        X_xp, y_xp = on(xp, device, X), on(xp, device, y)
        for solver in ["sgd", "adam"]:
            with pytest.raises(ValueError, match="Array API inputs run the full-batch"):
                SoftmaxClassifier(solver=solver).fit(X_xp, y_xp)
        model = SoftmaxClassifier().fit(X_xp, y_xp)
        with pytest.raises(ValueError, match="must use the same namespace"):
            model.predict_proba(X)  # numpy input to a model fitted on the device


def test_numpy_labels_follow_the_device_of_X():
    torch = pytest.importorskip("torch")
    X, y = data(3)
    with config_context(array_api_dispatch=True):
        model = SoftmaxClassifier().fit(torch.asarray(X), y)
    assert isinstance(model.classes_, torch.Tensor)
