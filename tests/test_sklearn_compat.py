"""The bridge to the supported scikit-learn releases (utils/_sklearn_compat.py).

The stand-ins for what scikit-learn 1.6 lacks are tested on every release,
against scikit-learn's own functions where the release has them.
"""

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from sklearn import config_context

from sk_softmax import SoftmaxClassifier
from sk_softmax.utils import _sklearn_compat as compat


def test_move_to_standin_keeps_numpy_none_and_sparse():
    a = np.arange(3.0)
    assert np.array_equal(compat._move_to_standin(a, xp=np, device="cpu"), a)
    assert compat._move_to_standin(None, xp=np, device="cpu") is None
    m = sp.csr_matrix(np.eye(2))
    assert compat._move_to_standin(m, xp=np, device="cpu") is m
    moved = compat._move_to_standin(a, [1, 2], xp=np, device="cpu")
    assert isinstance(moved, tuple) and np.array_equal(moved[1], [1, 2])


def test_move_to_standin_converts_between_namespaces():
    xp = pytest.importorskip("array_api_strict")
    if compat.array_api_unavailable() is not None:
        pytest.skip(f"no array API dispatch here: {compat.array_api_unavailable()}")
    a = np.arange(4.0)
    with config_context(array_api_dispatch=True):
        there = compat._move_to_standin(a, xp=xp, device=None)
        assert type(there).__module__.startswith("array_api_strict")
        back = compat._move_to_standin(there, xp=np, device="cpu")
    assert isinstance(back, np.ndarray) and np.array_equal(back, a)


def test_check_same_namespace_standin_accepts_numpy_and_refuses_others():
    X = np.random.default_rng(0).normal(size=(20, 2))
    y = np.arange(20) % 2
    clf = SoftmaxClassifier().fit(X, y)
    # Without dispatch, and for numpy input with dispatch, nothing to check.
    compat._check_same_namespace_standin(X, clf, attribute="coef_", method="m")
    xp = pytest.importorskip("array_api_strict")
    if compat.array_api_unavailable() is not None:
        pytest.skip(f"no array API dispatch here: {compat.array_api_unavailable()}")
    with config_context(array_api_dispatch=True):
        compat._check_same_namespace_standin(X, clf, attribute="coef_", method="m")
        with pytest.raises(ValueError, match="same namespace and the same device"):
            compat._check_same_namespace_standin(
                xp.asarray(X), clf, attribute="coef_", method="predict"
            )


def test_the_release_functions_are_scikit_learns_where_they_exist():
    try:
        from sklearn.utils._array_api import check_same_namespace, move_to
    except ImportError:
        assert compat.move_to is compat._move_to_standin
        assert compat.check_same_namespace is compat._check_same_namespace_standin
    else:
        assert compat.move_to is move_to
        assert compat.check_same_namespace is check_same_namespace


def test_array_api_unavailable_says_why():
    import os

    import scipy

    reason = compat.array_api_unavailable()
    scipy_version = tuple(int(p) for p in scipy.__version__.split(".")[:2])
    if scipy_version < (1, 14):
        # Where scikit-learn also needs array-api-compat, that is said first.
        assert "SciPy must be 1.14.0 or newer" in reason or "array_api_compat" in reason
    elif os.environ.get("SCIPY_ARRAY_API") != "1":
        assert "SCIPY_ARRAY_API" in reason
    elif tuple(int(p) for p in sklearn.__version__.split(".")[:2]) >= (1, 7):
        assert reason is None


def test_the_minimum_pins_match_pyproject():
    """ci/min-requirements.txt pins exactly pyproject's lower bounds."""
    from pathlib import Path

    tomllib = pytest.importorskip("tomllib")
    root = Path(__file__).parents[1]
    deps = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    lower = dict(d.split(">=") for d in deps["dependencies"])
    pins = {}
    for line in (root / "ci" / "min-requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name] = version
    for name, version in lower.items():
        pinned = tuple(int(p) for p in pins[name].split("."))
        bound = tuple(int(p) for p in version.split("."))
        assert pinned[: len(bound)] == bound, (name, pins[name], version)


def test_the_running_scikit_learn_is_supported():
    major, minor = (int(p) for p in sklearn.__version__.split(".")[:2])
    assert (major, minor) >= (1, 6)
