"""TrainingCurveDisplay: curves, labels, axes, errors; matplotlib stays optional."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier, TrainingCurveDisplay

try:
    import matplotlib
except ModuleNotFoundError:  # the tests of the error and of the import still run
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


def _lines_data(display):
    return [line.get_ydata() for line in display.lines_]


@needs_matplotlib
@pytest.mark.parametrize("solver", ["auto", "gd", "lbfgs", "newton-cg"])
def test_full_batch_one_curve_in_iterations(data, solver):
    X, y = data
    clf = SoftmaxClassifier(solver=solver, alpha=1e-2).fit(X, y)
    display = TrainingCurveDisplay.from_estimator(clf)

    assert display.unit == "iteration"
    assert display.validation_loss_curve is None
    assert len(display.lines_) == 1
    line = display.lines_[0]
    np.testing.assert_array_equal(line.get_ydata(), clf.loss_curve_)
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, clf.n_iter_ + 1))
    assert display.ax_.get_xlabel() == "Iteration"
    assert display.ax_.get_ylabel() == "Loss"
    assert display.figure_ is display.ax_.figure
    assert line.get_label() == "SoftmaxClassifier: training loss"
    assert display.ax_.get_yscale() == "linear"


@needs_matplotlib
@pytest.mark.parametrize(
    "params",
    [
        {"solver": "sgd", "early_stopping": True},
        {"solver": "adam", "early_stopping": True},
        {"solver": "auto", "early_stopping": True},  # 'auto' runs 'sgd'
    ],
)
def test_early_stopping_two_curves_in_epochs(data, params):
    X, y = data
    clf = SoftmaxClassifier(random_state=0, **params).fit(X, y)
    display = TrainingCurveDisplay.from_estimator(clf)

    assert display.unit == "epoch"
    assert len(display.lines_) == 2
    training, validation = _lines_data(display)
    np.testing.assert_array_equal(training, clf.loss_curve_)
    np.testing.assert_array_equal(validation, clf.validation_loss_curve_)
    np.testing.assert_array_equal(
        display.lines_[1].get_xdata(), np.arange(1, clf.n_iter_ + 1)
    )
    assert display.ax_.get_xlabel() == "Epoch"
    labels = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert labels == [
        "SoftmaxClassifier: training loss",
        "SoftmaxClassifier: validation loss",
    ]


@needs_matplotlib
def test_stochastic_without_early_stopping_is_in_epochs(data):
    X, y = data
    clf = SoftmaxClassifier(solver="adam", random_state=0).fit(X, y)
    display = TrainingCurveDisplay.from_estimator(clf)
    assert display.unit == "epoch"
    assert len(display.lines_) == 1


@needs_matplotlib
@pytest.mark.parametrize("solver", ["auto", "sgd", "adam"])
def test_partial_fit_is_in_epochs(data, solver):
    X, y = data
    clf = SoftmaxClassifier(solver=solver, random_state=0)
    for _ in range(4):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    display = TrainingCurveDisplay.from_estimator(clf)
    assert display.unit == "epoch"
    assert display.ax_.get_xlabel() == "Epoch"
    np.testing.assert_array_equal(display.lines_[0].get_ydata(), clf.loss_curve_)
    assert len(clf.loss_curve_) == 4


@needs_matplotlib
def test_pipeline_uses_its_last_step(data):
    X, y = data
    pipe = make_pipeline(
        StandardScaler(), SoftmaxClassifier(early_stopping=True, random_state=0)
    ).fit(X, y)
    display = TrainingCurveDisplay.from_estimator(pipe)
    clf = pipe[-1]
    assert display.unit == "epoch"
    training, validation = _lines_data(display)
    np.testing.assert_array_equal(training, clf.loss_curve_)
    np.testing.assert_array_equal(validation, clf.validation_loss_curve_)


@needs_matplotlib
def test_plot_draws_into_existing_axes(data):
    X, y = data
    clf = SoftmaxClassifier(alpha=1e-2).fit(X, y)
    fig, (left, right) = plt.subplots(1, 2)
    display = TrainingCurveDisplay.from_estimator(clf, ax=right)
    assert display.ax_ is right
    assert display.figure_ is fig
    assert right.get_lines() == display.lines_
    assert not left.get_lines()
    assert len(plt.get_fignums()) == 1

    # A display replots onto other axes, with other options.
    again = display.plot(ax=left, name="mine", log_scale=True, line_kw={"c": "k"})
    assert again is display
    assert display.ax_ is left
    assert left.get_yscale() == "log"
    assert display.lines_[0].get_label() == "mine: training loss"
    assert display.lines_[0].get_color() == "k"


@needs_matplotlib
def test_from_curves_without_estimator():
    display = TrainingCurveDisplay([3.0, 2.0, 1.5], validation_loss_curve=[3.1, 2.5])
    assert display.plot() is display
    assert display.ax_.get_xlabel() == "Iteration"
    training, validation = _lines_data(display)
    np.testing.assert_array_equal(training, [3.0, 2.0, 1.5])
    np.testing.assert_array_equal(validation, [3.1, 2.5])
    # No estimator name: plain labels.
    assert display.lines_[0].get_label() == "training loss"

    display = TrainingCurveDisplay(
        loss_curve=[1.0, 0.5], unit="epoch", estimator_name="online"
    ).plot(validation_line_kw={"ls": "--"})
    assert display.ax_.get_xlabel() == "Epoch"
    assert display.lines_[0].get_label() == "online: training loss"


@needs_matplotlib
def test_unit_override_and_name(data):
    X, y = data
    clf = SoftmaxClassifier(alpha=1e-2).fit(X, y)
    display = TrainingCurveDisplay.from_estimator(clf, unit="epoch", name="model")
    assert display.ax_.get_xlabel() == "Epoch"
    assert display.estimator_name == "model"


@needs_matplotlib
def test_not_fitted_raises():
    with pytest.raises(NotFittedError):
        TrainingCurveDisplay.from_estimator(SoftmaxClassifier())
    with pytest.raises(NotFittedError):
        TrainingCurveDisplay.from_estimator(
            make_pipeline(StandardScaler(), SoftmaxClassifier())
        )


@needs_matplotlib
def test_other_estimators_raise(data):
    X, y = data
    with pytest.raises(ValueError, match=r"needs a fitted SoftmaxClassifier.*got"):
        TrainingCurveDisplay.from_estimator(LogisticRegression().fit(X, y))
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match="LogisticRegression as the last step"):
        TrainingCurveDisplay.from_estimator(pipe)


@needs_matplotlib
def test_bad_unit_raises(data):
    X, y = data
    clf = SoftmaxClassifier(alpha=1e-2).fit(X, y)
    with pytest.raises(ValueError, match="unit must be 'iteration' or 'epoch'"):
        TrainingCurveDisplay.from_estimator(clf, unit="step")
    with pytest.raises(ValueError, match="unit must be"):
        TrainingCurveDisplay([1.0], unit="epochs").plot()


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import now fails
    display = TrainingCurveDisplay([1.0, 0.5])
    with pytest.raises(ImportError, match=r'pip install "\.\[plot\]"'):
        display.plot()
    with pytest.raises(ImportError, match="from_estimator requires matplotlib"):
        TrainingCurveDisplay.from_estimator(SoftmaxClassifier())


def test_importing_sk_softmax_does_not_import_matplotlib():
    code = (
        "import sys, sk_softmax, sk_softmax._display; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
