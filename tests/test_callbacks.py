"""scikit-learn's callbacks (``sklearn.callback``, 1.9+) with every solver."""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier

callback = pytest.importorskip("sklearn.callback")
SOLVERS = ["gd", "lbfgs", "newton-cg", "sgd", "adam"]


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), np.array(["a", "b", "c"])[y]


class Recorder:
    """A FitCallback that records its tasks and may ask to stop."""

    def __init__(self, stop_at=None):
        self.stop_at = stop_at
        self.ends = []
        self.n_setup = self.n_teardown = 0

    def setup(self, estimator, context):
        self.n_setup += 1

    def teardown(self, estimator, context):
        self.n_teardown += 1

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None, y=None):
        self.ends.append((context.task_name, context.task_id, fitted_estimator, y))
        return self.stop_at is not None and context.task_id + 1 == self.stop_at


@pytest.mark.parametrize("solver", SOLVERS)
def test_one_sub_task_per_iteration_with_the_model_as_it_stood(solver):
    X, y = _iris()
    recorder = Recorder()
    model = SoftmaxClassifier(solver=solver, alpha=1e-2, max_iter=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_callbacks(recorder).fit(X, y)
    unit = "epoch" if solver in ("sgd", "adam") else "iteration"
    steps = [end for end in recorder.ends if end[0] == unit]
    assert [task_id for _, task_id, _, _ in steps] == list(range(model.n_iter_))
    assert recorder.ends[-1][0] == "fit"  # the root task ends last
    assert recorder.n_setup == recorder.n_teardown == 1
    # Labels as given, not encoded; each step's model predicts.
    assert all(np.array_equal(y_seen, y) for *_, y_seen in steps)
    losses = [log_loss(y, fitted.predict_proba(X)) for _, _, fitted, _ in steps]
    assert losses[-1] < losses[0]
    last = steps[-1][2]
    assert last is not model
    assert last.coef_.tobytes() == model.coef_.tobytes()
    assert last.intercept_.tobytes() == model.intercept_.tobytes()


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_callback_can_stop_every_solver(solver):
    X, y = _iris()
    model = SoftmaxClassifier(solver=solver, tol=1e-12, max_iter=100)
    with pytest.warns(ConvergenceWarning, match="stopped by callback"):
        model.set_callbacks(Recorder(stop_at=3)).fit(X, y)
    assert model.n_iter_ == 3
    assert model.converged_ is False


@pytest.mark.parametrize("solver", SOLVERS)
def test_scoring_monitor_logs_every_iteration(solver):
    pytest.importorskip("pandas")
    X, y = _iris()
    monitor = callback.ScoringMonitor(scoring="neg_log_loss")
    model = SoftmaxClassifier(solver=solver, alpha=1e-2, random_state=0)
    model.set_callbacks(monitor).fit(X, y)
    logs = monitor.get_logs().data_as_pandas
    steps = logs[logs["task_name"] != "fit"]
    assert len(steps) == model.n_iter_
    assert steps["neg_log_loss"].iloc[-1] == pytest.approx(
        -log_loss(y, model.predict_proba(X)), rel=1e-12
    )


def test_partial_fit_is_one_task_with_one_epoch():
    X, y = _iris()
    recorder = Recorder()
    model = SoftmaxClassifier(solver="adam").set_callbacks(recorder)
    model.partial_fit(X, y, classes=np.unique(y))
    model.partial_fit(X, y)
    assert [name for name, *_ in recorder.ends] == ["epoch", "fit", "epoch", "fit"]
    assert recorder.ends[2][2].coef_.tobytes() == model.coef_.tobytes()


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_progress_bar_in_pipeline_and_grid_search(solver, n_jobs):
    pytest.importorskip("rich")
    X, y = _iris()
    pipe = make_pipeline(StandardScaler(), SoftmaxClassifier(solver=solver))
    search = GridSearchCV(
        pipe, {"softmaxclassifier__alpha": [1e-3, 1e-1]}, cv=3, n_jobs=n_jobs
    ).set_callbacks(callback.ProgressBar())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    plain = GridSearchCV(
        make_pipeline(StandardScaler(), SoftmaxClassifier(solver=solver)),
        {"softmaxclassifier__alpha": [1e-3, 1e-1]},
        cv=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain.fit(X, y)
    # The callbacks observe; they change nothing.
    assert search.best_params_ == plain.best_params_
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )


def test_works_without_the_callback_module():
    """With a scikit-learn that has no ``sklearn.callback``: no set_callbacks,
    and fit / partial_fit work as before."""
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        # scikit-learn's own modules load first; then the callback module is
        # hidden from any later import, sk_softmax's included.
        import sklearn.model_selection, sklearn.metrics, sklearn.preprocessing
        import sklearn.pipeline
        sys.modules["sklearn.callback"] = None
        from sk_softmax import SoftmaxClassifier
        X = np.random.default_rng(0).normal(size=(60, 3))
        y = np.arange(60) % 3
        model = SoftmaxClassifier(solver="sgd", max_iter=5, random_state=0)
        assert not hasattr(model, "set_callbacks")
        import warnings
        warnings.simplefilter("ignore")
        model.fit(X, y).partial_fit(X, y)
        SoftmaxClassifier().fit(X, y)
        print("ok", model.n_iter_)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ok", "6"]
