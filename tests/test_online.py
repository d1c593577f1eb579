"""SoftmaxClassifier with the stochastic solvers: fit, partial_fit, early stopping."""

import pickle
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits, load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier
from sk_softmax._objective import LinearSoftmaxLoss
from sk_softmax._penalty import ElasticNet
from sk_softmax._stochastic_fit import draw_seed, validation_split
from sk_softmax._weights import balanced_class_weights

STOCHASTIC = ["sgd", "adam"]
# These small problems give Adam few steps (iris is one mini-batch per epoch):
# its default rate of 0.001 settles big streams but needs more steps than the
# tests below have, so they run Adam at 0.01 (the default sgd rate is 'auto').
SMALL_PROBLEM_RATE = {"sgd": "auto", "adam": 0.01}


def _digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _stream(n=3000, n_classes=4, seed=0):
    X, y = make_classification(
        n_samples=n,
        n_features=8,
        n_informative=6,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=seed,
    )
    return StandardScaler().fit_transform(X), y


def objective(model, X, y):
    """The penalised objective at a fitted model's coefficients."""
    loss = LinearSoftmaxLoss(
        X,
        np.searchsorted(model.classes_, y),
        len(model.classes_),
        penalty=ElasticNet(model.alpha, model.l1_ratio),
    )
    coef = loss.pack(model.coef_, model.intercept_)
    return loss.value(coef) + loss.nonsmooth_value(coef)


def quiet_fit(model, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(*args, **kwargs)


def state(model):
    return {
        name: (value.tobytes() if isinstance(value, np.ndarray) else value)
        for name, value in vars(model).items()
        if name.endswith("_") and not name.startswith("_")
    }


# ------------------------------------------------------------------------ fit
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_stochastic_fit_approaches_the_optimum(solver):
    X, y = _digits()
    optimum = SoftmaxClassifier(alpha=1e-2, tol=1e-10, solver="newton-cg").fit(X, y)
    model = SoftmaxClassifier(
        alpha=1e-2,
        solver=solver,
        learning_rate="adaptive",
        tol=1e-6,
        random_state=0,
    ).fit(X, y)
    assert model.converged_
    best, reached = objective(optimum, X, y), objective(model, X, y)
    assert best <= reached < (1 + 1e-3) * best
    assert np.abs(model.predict_proba(X) - optimum.predict_proba(X)).max() < 0.05


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_fixed_random_state_is_bitwise_reproducible(solver):
    X, y = _stream()
    params = {"solver": solver, "max_iter": 5, "random_state": 7}
    a = quiet_fit(SoftmaxClassifier(**params), X, y)
    b = quiet_fit(SoftmaxClassifier(**params), X, y)
    assert a.coef_.tobytes() == b.coef_.tobytes()
    assert a.intercept_.tobytes() == b.intercept_.tobytes()
    assert a.loss_curve_ == b.loss_curve_
    c = quiet_fit(SoftmaxClassifier(**{**params, "random_state": 8}), X, y)
    assert c.coef_.tobytes() != a.coef_.tobytes()


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_shuffle_false_needs_no_random_state(solver):
    X, y = _stream()
    params = {"solver": solver, "max_iter": 3, "shuffle": False}
    a = quiet_fit(SoftmaxClassifier(**params, random_state=1), X, y)
    b = quiet_fit(SoftmaxClassifier(**params, random_state=2), X, y)
    assert a.coef_.tobytes() == b.coef_.tobytes()


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_warm_start_continues_exactly(solver):
    """N epochs then N more equal 2N epochs: state, schedule and shuffling resume."""
    X, y = _stream()
    params = {"solver": solver, "random_state": 0, "n_iter_no_change": 100}
    once = quiet_fit(SoftmaxClassifier(max_iter=6, **params), X, y)
    twice = SoftmaxClassifier(max_iter=3, warm_start=True, **params)
    quiet_fit(twice, X, y)
    quiet_fit(twice, X, y)
    assert twice.coef_.tobytes() == once.coef_.tobytes()
    assert twice.loss_curve_ == once.loss_curve_[3:]


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("sparse", [False, True])
def test_float32_stays_float32(solver, sparse):
    X, y = _stream()
    X = X.astype(np.float32)
    X = sp.csr_matrix(X) if sparse else X
    model = quiet_fit(SoftmaxClassifier(solver=solver, max_iter=3), X, y)
    assert model.coef_.dtype == model.intercept_.dtype == np.float32
    assert model.predict_proba(X).dtype == np.float32
    model.partial_fit(X, y)
    assert model.coef_.dtype == np.float32


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_sparse_input_gives_the_dense_model(solver):
    X, y = _stream()
    X = np.where(np.abs(X) < 0.5, 0.0, X)
    params = {"solver": solver, "max_iter": 3, "random_state": 0}
    dense = quiet_fit(SoftmaxClassifier(**params), X, y)
    sparse = quiet_fit(SoftmaxClassifier(**params), sp.csr_matrix(X), y)
    assert_allclose(sparse.coef_, dense.coef_, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_stopping_and_records(solver):
    X, y = _iris()
    rate = SMALL_PROBLEM_RATE[solver]
    model = SoftmaxClassifier(
        solver=solver, alpha=1e-2, learning_rate_init=rate, random_state=0
    ).fit(X, y)
    assert model.converged_ is True
    assert type(model.n_iter_) is int
    assert len(model.loss_curve_) == model.n_iter_ < model.max_iter
    assert model.validation_loss_curve_ is None
    with pytest.warns(ConvergenceWarning) as record:
        short = SoftmaxClassifier(solver=solver, max_iter=2).fit(X, y)
    message = str(record[0].message)
    assert f"Solver {solver!r} did not converge" in message
    assert "2 epochs" in message and "tol=0.0001" in message
    assert "Increase max_iter" in message
    assert record[0].filename == __file__
    assert short.converged_ is False and short.n_iter_ == 2


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_verbose_prints_one_line_per_epoch(solver, capsys):
    X, y = _iris()
    model = quiet_fit(
        SoftmaxClassifier(solver=solver, verbose=1, max_iter=4, early_stopping=True),
        X,
        y,
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == model.n_iter_ == 4
    for k, line in enumerate(lines, start=1):
        assert re.match(
            rf"\[{solver}\] epoch {k}: loss=\S+ validation_loss=\S+ "
            r"learning_rate=\S+$",
            line,
        ), line


def test_adam_default_rate_is_mlp_classifiers(capsys):
    """At 0.01, Adam's constant steps left W2's streams 3% above the optimum."""
    X, y = _iris()
    with pytest.warns(ConvergenceWarning):
        SoftmaxClassifier(solver="adam", max_iter=1, verbose=1).fit(X, y)
    assert "learning_rate=0.001" in capsys.readouterr().out
    assert MLPClassifier().learning_rate_init == 0.001


def test_divergence_is_an_error_that_keeps_the_model():
    X, y = _iris()
    model = SoftmaxClassifier(solver="sgd", max_iter=3, random_state=0)
    quiet_fit(model, X, y)
    before = state(model)
    model.set_params(learning_rate_init=1e306, momentum=0.0)
    with pytest.raises(ValueError, match=r"Solver 'sgd' diverged.*learning_rate_init"):
        model.fit(X * 1e3, y)
    assert state(model) == before


# -------------------------------------------------------------- early stopping
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_early_stopping_keeps_the_best_validation_epoch(solver):
    X, y = _digits()
    model = SoftmaxClassifier(
        solver=solver,
        alpha=0.0,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=3,
        tol=0.0,
        learning_rate_init=SMALL_PROBLEM_RATE[solver],
        random_state=0,
        max_iter=200,
    ).fit(X, y)
    assert model.converged_
    curve = model.validation_loss_curve_
    assert len(curve) == len(model.loss_curve_) == model.n_iter_
    best = int(np.argmin(curve))
    assert model.n_iter_ == best + 1 + 3
    # The held-out part, drawn as the estimator draws it, scores the best epoch.
    _, held_out = validation_split(y, np.ones(len(y)), 0.2, draw_seed(0))
    reached = log_loss(y[held_out], model.predict_proba(X[held_out]))
    assert reached == pytest.approx(curve[best], rel=1e-9)


def test_auto_with_early_stopping_runs_sgd(capsys):
    X, y = _iris()
    SoftmaxClassifier(early_stopping=True, verbose=1, random_state=0).fit(X, y)
    assert capsys.readouterr().out.startswith("[sgd] epoch 1:")


@pytest.mark.parametrize("solver", ["gd", "lbfgs", "newton-cg"])
def test_early_stopping_with_a_full_batch_solver_is_an_error(solver):
    X, y = _iris()
    with pytest.raises(ValueError, match="early_stopping needs a stochastic solver"):
        SoftmaxClassifier(solver=solver, early_stopping=True).fit(X, y)


def test_early_stopping_needs_room_for_every_class():
    X, y = _iris()
    with pytest.raises(ValueError, match=r"validation_fraction=0\.01"):
        SoftmaxClassifier(early_stopping=True, validation_fraction=0.01).fit(X, y)


# ----------------------------------------------------------------- partial_fit
@pytest.mark.parametrize("solver", ["gd", "lbfgs", "newton-cg"])
def test_partial_fit_exists_only_for_stochastic_solvers(solver):
    assert not hasattr(SoftmaxClassifier(solver=solver), "partial_fit")
    for name in ["auto", "sgd", "adam"]:
        assert hasattr(SoftmaxClassifier(solver=name), "partial_fit")


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_partial_fit_learns_the_multinomial_model(solver):
    """Epochs of partial_fit approach the softmax optimum; one-vs-rest cannot."""
    X, y = _stream()
    optimum = SoftmaxClassifier(alpha=1e-3, tol=1e-10).fit(X, y)
    P = optimum.predict_proba(X)
    classes = np.unique(y)
    model = SoftmaxClassifier(
        solver=solver,
        alpha=1e-3,
        learning_rate_init=SMALL_PROBLEM_RATE[solver],
        random_state=0,
    )
    ovr = SGDClassifier(loss="log_loss", alpha=1e-3, random_state=0)
    for _ in range(20):
        for chunk in np.array_split(np.arange(len(y)), 10):
            model.partial_fit(X[chunk], y[chunk], classes=classes)
            ovr.partial_fit(X[chunk], y[chunk], classes=classes)
    assert model.n_iter_ == len(model.loss_curve_) == 200
    assert model.converged_ is False
    # Mean distance to the optimum's probabilities: ours is within the noise
    # of constant steps (about 0.01); one-vs-rest stays near 0.05, another model.
    gap = np.abs(model.predict_proba(X) - P).mean()
    ovr_gap = np.abs(ovr.predict_proba(X) - P).mean()
    assert gap < 0.02 < 0.04 < ovr_gap
    assert (
        log_loss(y, P)
        < log_loss(y, model.predict_proba(X))
        < log_loss(y, ovr.predict_proba(X))
    )


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_partial_fit_is_bitwise_reproducible(solver):
    X, y = _stream()
    classes = np.unique(y)

    def run():
        model = SoftmaxClassifier(solver=solver, random_state=3)
        for chunk in np.array_split(np.arange(len(y)), 5):
            model.partial_fit(X[chunk], y[chunk], classes=classes)
        return model

    assert run().coef_.tobytes() == run().coef_.tobytes()


def test_partial_fit_needs_classes_on_the_first_call():
    X, y = _iris()
    model = SoftmaxClassifier()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X, y)
    assert not hasattr(model, "coef_")
    model.partial_fit(X[:10], y[:10], classes=[0, 1, 2])
    assert_array_equal(model.classes_, [0, 1, 2])
    assert model.predict_proba(X).shape == (150, 3)  # classes not yet seen
    model.partial_fit(X, y)  # classes optional afterwards
    model.partial_fit(X, y, classes=np.array([2, 1, 0]))  # same set, any order


def test_partial_fit_rejects_other_classes_and_unseen_labels():
    X, y = _iris()
    model = SoftmaxClassifier(random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    before = state(model)
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2, 3\] differs from"):
        model.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"y contains labels \[7\] that are not in"):
        model.partial_fit(X[:3], [0, 7, 1])
    with pytest.raises(ValueError, match="at least 2 labels"):
        SoftmaxClassifier().partial_fit(X, np.zeros(150), classes=[0])
    assert state(model) == before


def test_partial_fit_after_fit_continues_from_the_fitted_model():
    X, y = _iris()
    model = SoftmaxClassifier(alpha=1e-2).fit(X, y)
    fitted = model.coef_.copy()
    n_iter = model.n_iter_
    model.partial_fit(X, y)
    assert model.n_iter_ == n_iter + 1
    assert len(model.loss_curve_) == n_iter + 1
    assert not np.array_equal(model.coef_, fitted)
    # One epoch of small steps from the optimum stays near it.
    assert np.abs(model.coef_ - fitted).max() < 0.1 * np.abs(fitted).max()


def test_all_zero_weight_batch_leaves_the_model_unchanged():
    X, y = _iris()
    model = SoftmaxClassifier(random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    before = state(model)
    model.partial_fit(X[:20], y[:20], sample_weight=np.zeros(20))
    assert state(model) == before
    # On the first call it gives the uninformed model: uniform probabilities.
    fresh = SoftmaxClassifier().partial_fit(
        X[:5], y[:5], classes=[0, 1, 2], sample_weight=np.zeros(5)
    )
    assert fresh.n_iter_ == 0
    assert_allclose(fresh.predict_proba(X), 1 / 3)


def test_partial_fit_balanced_uses_running_class_totals():
    X, y = _stream(n_classes=3)
    keep = (y != 2) | (np.arange(len(y)) % 4 == 0)  # class 2 rarer
    X, y = X[keep], y[keep]
    chunks = np.array_split(np.arange(len(y)), 4)
    balanced = SoftmaxClassifier(class_weight="balanced", random_state=0)
    manual = SoftmaxClassifier(random_state=0)
    totals = np.zeros(3)
    for chunk in chunks:
        balanced.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
        totals += np.bincount(y[chunk], minlength=3)
        weights = balanced_class_weights(totals)[y[chunk]]
        manual.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2], sample_weight=weights)
    assert balanced.coef_.tobytes() == manual.coef_.tobytes()


def test_partial_fit_with_string_labels_and_pandas():
    pd = pytest.importorskip("pandas")
    X, y = _iris()
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    frame = pd.DataFrame(X, columns=list("abcd"))
    model = SoftmaxClassifier(random_state=0)
    model.partial_fit(frame[:75], names[:75], classes=np.unique(names))
    model.partial_fit(frame[75:], pd.Series(names[75:]).astype("category"))
    assert_array_equal(model.feature_names_in_, list("abcd"))
    assert set(model.predict(frame)) <= set(names)
    with pytest.raises(ValueError, match="feature names"):
        model.partial_fit(frame.rename(columns={"a": "z"}), names)


def test_partial_fit_one_sample_at_a_time():
    X, y = _iris()
    model = SoftmaxClassifier(random_state=0)
    for i in np.random.default_rng(0).permutation(150)[:60]:
        model.partial_fit(X[i : i + 1], y[i : i + 1], classes=[0, 1, 2])
    assert model.n_iter_ == 60
    assert model.score(X, y) > 0.8


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_class_weight_equals_the_equivalent_sample_weight(solver):
    X, y = _stream(n_classes=3)
    class_weight = {0: 0.5, 1: 2.0, 2: 1.0}
    params = {"solver": solver, "max_iter": 4, "random_state": 0}
    by_class = quiet_fit(SoftmaxClassifier(class_weight=class_weight, **params), X, y)
    by_sample = quiet_fit(
        SoftmaxClassifier(**params),
        X,
        y,
        sample_weight=np.array([class_weight[label] for label in y]),
    )
    assert by_class.coef_.tobytes() == by_sample.coef_.tobytes()


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_pickled_mid_stream_continues_identically(solver):
    X, y = _stream()
    chunks = np.array_split(np.arange(len(y)), 6)
    model = SoftmaxClassifier(solver=solver, random_state=0)
    for chunk in chunks[:3]:
        model.partial_fit(X[chunk], y[chunk], classes=np.unique(y))
    restored = pickle.loads(pickle.dumps(model))
    for chunk in chunks[3:]:
        model.partial_fit(X[chunk], y[chunk])
        restored.partial_fit(X[chunk], y[chunk])
    assert restored.coef_.tobytes() == model.coef_.tobytes()
    assert restored.loss_curve_ == model.loss_curve_


def test_grid_search_over_stochastic_settings_with_early_stopping():
    X, y = _digits()
    pipe = make_pipeline(
        StandardScaler(),
        SoftmaxClassifier(solver="adam", early_stopping=True, random_state=0),
    )
    search = GridSearchCV(
        pipe,
        {
            "softmaxclassifier__learning_rate_init": [1e-3, 1e-2],
            "softmaxclassifier__batch_size": [32, "auto"],
        },
        cv=3,
        scoring="neg_log_loss",
    ).fit(X, y)
    best = search.best_estimator_[-1]
    assert best.converged_
    assert len(best.validation_loss_curve_) == best.n_iter_
    # Stopping on held-out loss regularises: better held-out log-loss than the
    # nearly unpenalised (alpha=1e-4) full-batch optimum.
    full_batch = cross_val_score(
        make_pipeline(StandardScaler(), SoftmaxClassifier()),
        X,
        y,
        cv=3,
        scoring="neg_log_loss",
    )
    assert search.best_score_ > full_batch.mean()
