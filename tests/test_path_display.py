"""RegularizationPathDisplay: panels, lines, choices, errors; matplotlib optional."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from sk_softmax import RegularizationPathDisplay, SoftmaxClassifierCV, softmax_path

try:
    import matplotlib
except ModuleNotFoundError:  # the test of the error message still runs
    plt = None
else:
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

needs_matplotlib = pytest.mark.skipif(plt is None, reason="needs matplotlib")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    if plt is not None:
        plt.close("all")


@pytest.fixture(scope="module")
def data():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return SoftmaxClassifierCV(alphas=8, cv=3).fit(X, y)


@needs_matplotlib
def test_from_estimator_draws_both_panels(fitted):
    display = RegularizationPathDisplay.from_estimator(fitted)
    # One line per feature: the norm of its coefficients across the classes.
    assert len(display.lines_) == 4
    mean_path = fitted.coef_path_[0].mean(axis=0)
    np.testing.assert_allclose(
        display.lines_[2].get_ydata(), np.linalg.norm(mean_path[:, 2, :], axis=0)
    )
    np.testing.assert_allclose(display.lines_[0].get_xdata(), fitted.alphas_[0])
    # The curve: mean score with its standard error, as cv_results_ has them.
    line, _, (bars,) = display.errorbar_
    np.testing.assert_allclose(line.get_ydata(), fitted.cv_results_["mean_test_score"])
    assert len(bars.get_segments()) == 8
    assert display.choice_lines_["best"].get_xdata()[0] == fitted.alpha_
    assert display.choice_lines_["one_se"].get_xdata()[0] >= fitted.alpha_
    assert display.ax_coef_.get_xscale() == "log"
    assert display.ax_cv_.xaxis_inverted()
    assert display.figure_ is display.ax_cv_.figure


@needs_matplotlib
def test_one_se_choice_matches_the_estimators(data, fitted):
    X, y = data
    one_se = SoftmaxClassifierCV(alphas=8, cv=3, selection="one_se").fit(X, y)
    display = RegularizationPathDisplay.from_estimator(fitted, kind="cv")
    assert display.choice_lines_["one_se"].get_xdata()[0] == one_se.alpha_
    assert display.ax_coef_ is None and display.lines_ == []


@needs_matplotlib
def test_every_coefficient_on_given_axes(fitted):
    _, ax = plt.subplots()
    display = RegularizationPathDisplay.from_estimator(
        fitted, kind="coefficients", coefficients="all", ax=ax
    )
    assert display.ax_coef_ is ax and display.ax_cv_ is None
    assert len(display.lines_) == 3 * 4
    assert display.lines_[5].get_label() == "x1 (class 1)"
    np.testing.assert_allclose(
        display.lines_[5].get_ydata(), fitted.coef_path_[0, :, 1, 1, :].mean(axis=0)
    )


@needs_matplotlib
def test_from_path_matches_softmax_path(data):
    X, y = data
    display = RegularizationPathDisplay.from_path(
        X, y, l1_ratio=1.0, solver="gd", n_alphas=6, feature_names=list("abcd")
    )
    alphas, coefs, _, _ = softmax_path(X, y, l1_ratio=1.0, solver="gd", n_alphas=6)
    np.testing.assert_allclose(display.lines_[0].get_xdata(), alphas)
    np.testing.assert_allclose(
        display.lines_[3].get_ydata(), np.linalg.norm(coefs[:, 3, :], axis=0)
    )
    assert [line.get_label() for line in display.lines_] == list("abcd")
    assert display.errorbar_ is None


@needs_matplotlib
def test_bad_arguments(fitted):
    with pytest.raises(ValueError, match="kind must be"):
        RegularizationPathDisplay.from_estimator(fitted, kind="path")
    with pytest.raises(ValueError, match="coefficients must be"):
        RegularizationPathDisplay.from_estimator(fitted, coefficients="max")
    with pytest.raises(ValueError, match="2 Axes"):
        _, ax = plt.subplots()
        RegularizationPathDisplay.from_estimator(fitted, ax=ax)
    with pytest.raises(ValueError, match="Nothing to draw"):
        RegularizationPathDisplay([1.0, 0.1], coefs=np.zeros((1, 2, 2))).plot(kind="cv")
    with pytest.raises(NotFittedError):
        RegularizationPathDisplay.from_estimator(SoftmaxClassifierCV())


def test_without_matplotlib_the_error_says_how_to_install():
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from sk_softmax import RegularizationPathDisplay\n"
        "try:\n"
        "    RegularizationPathDisplay([1.0], mean_scores=[0.0]).plot()\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "pip install" in out and "RegularizationPathDisplay.plot" in out
