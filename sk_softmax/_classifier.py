"""SoftmaxClassifier: the scikit-learn estimator. Validates, encodes, solves, stores."""

import contextlib
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from sk_softmax._loss import LinearSoftmaxLoss
from sk_softmax._optim import (
    minimize_gd,
    minimize_lbfgs,
    minimize_newton_cg,
    warn_if_not_converged,
)
from sk_softmax._penalty import ElasticNet
from sk_softmax._softmax import log_softmax, softmax
from sk_softmax._subsample import (
    ROWS_PER_DOF,
    stratified_rows,
    use_hessian_subsample,
)
from sk_softmax._weights import check_sample_weight, class_weight_vector
from sk_softmax.utils._sklearn_compat import Interval, StrOptions, _fit_context

# Solvers that need a smooth objective: no L1 term.
_SMOOTH_SOLVERS = ("lbfgs", "newton-cg")


@contextlib.contextmanager
def _restore_on_error(estimator):
    """Put back the estimator's attributes if the block raises.

    A failed ``fit`` must leave a previously fitted model exactly as it was, yet
    ``validate_data`` records ``n_features_in_`` and ``feature_names_in_`` as
    soon as it runs. Fitted attributes are only ever rebound, never mutated in
    place, so a shallow copy of ``__dict__`` is enough.
    """
    saved = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(saved)
        raise


def _reject_datetimes(X):
    """Raise a ValueError for datetime or timedelta features.

    ``validate_data`` would silently turn them into numbers of nanoseconds.
    """
    dtypes = getattr(X, "dtypes", None)  # pandas DataFrame
    dtypes = [getattr(X, "dtype", None)] if dtypes is None else list(dtypes)
    if any(getattr(dtype, "kind", None) in ("M", "m") for dtype in dtypes):
        raise ValueError(
            "X has datetime or timedelta features, which are not numeric; "
            "convert them to numbers (for example elapsed seconds) first."
        )


class SoftmaxClassifier(ClassifierMixin, BaseEstimator):
    """Softmax (multinomial logistic) regression.

    A linear model whose class probabilities are the SoftMax of the logits
    ``Z = X @ coef_.T + intercept_`` and whose prediction is their ArgMax. It
    minimises the weighted mean cross-entropy plus an elastic-net penalty::

        (1 / sum(s)) * sum_i s_i * (logsumexp(Z_i) - Z_{i, y_i})
            + alpha * ((1 - l1_ratio) / 2 * ||coef_||_F^2 + l1_ratio * ||coef_||_1)

    where ``s_i`` is the sample weight times the class weight; the intercept is
    not penalised.

    **Relation to LogisticRegression.** The penalty is scaled per sample, so
    ``alpha = 1 / (C * sum(s))`` (``1 / (C * n_samples)`` with unit weights)
    gives the optimum of ``LogisticRegression(C=C)`` -- for every number of
    classes and every ``l1_ratio`` (with ``LogisticRegression(l1_ratio=...)``).
    With two classes the model uses the first class as reference, whose logit is
    fixed at 0: one row of coefficients, ``P(classes_[1]) = sigmoid(z)``, exactly
    the binary logistic regression, so the mapping is the same there.

    Parameters
    ----------
    alpha : float, default=1e-4
        Strength of the penalty, ``alpha >= 0``. ``0`` fits the unpenalised
        maximum-likelihood model, which only exists when the classes are not
        separable.
    l1_ratio : float, default=0.0
        Elastic-net mixing in ``[0, 1]``: 0 is a pure L2 penalty, 1 a pure L1
        penalty (sparse coefficients).
    solver : {'auto', 'gd', 'lbfgs', 'newton-cg'}, default='auto'
        Optimisation algorithm, all full-batch:

        - ``'auto'``: the fastest to a tight optimum in the package's benchmark
          (``benchmarks/RESULTS.md``): ``'gd'`` when ``l1_ratio > 0``;
          ``'newton-cg'`` for sparse data or when ``n_samples`` is at least
          80 times the number of coefficients (its subsampled Hessian then
          applies); ``'lbfgs'`` otherwise.
        - ``'gd'``: accelerated proximal gradient descent with a backtracking
          step size and adaptive restart; handles every penalty exactly.
        - ``'lbfgs'``: scipy's L-BFGS-B quasi-Newton method; L2 only. Its line
          search compares objective values, which stop resolving decreases
          once the gradient is near ``1e-9`` (float64) or ``1e-5`` (float32):
          below that it stops with a ``ConvergenceWarning``; ``'gd'`` and
          ``'newton-cg'`` go further.
        - ``'newton-cg'``: truncated Newton, with Hessian-vector products
          through the softmax Jacobian; L2 only. When ``n_samples`` is at least
          80 times the number of coefficients, the products use a random
          subsample of 20 rows per coefficient (drawn from `random_state`); the
          gradient, and so the optimum and the stopping test, stay exact.
    max_iter : int, default=1000
        Maximum number of iterations of the solver.
    tol : float, default=1e-4
        Stop when the largest absolute entry of the (proximal) gradient of the
        objective at the fitted coefficients is at most `tol`; only then is
        `converged_` True.
    fit_intercept : bool, default=True
        Whether to fit an unpenalised intercept per class.
    class_weight : dict or 'balanced', default=None
        Weights of the classes, multiplied into the sample weights. ``None``
        gives every class weight 1; a dict ``{label: weight}`` sets some of them;
        ``'balanced'`` uses ``sum(sample_weight) / (n_classes * class total)``.
    warm_start : bool, default=False
        Start from the previous solution when refitting on data with the same
        classes and features.
    random_state : int, RandomState instance or None, default=None
        Seed of ``'newton-cg'``'s Hessian subsample (see `solver`); pass an int
        for reproducible fits. ``'gd'`` and ``'lbfgs'`` are deterministic.
    verbose : int, default=0
        Print one line per iteration when positive.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients; one row (of the second class against the first) for
        binary problems. float32 for float32 input.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts (zeros when ``fit_intercept=False``).
    n_iter_ : int
        Number of solver iterations run.
    converged_ : bool
        Whether the solver met `tol` within `max_iter` iterations.
    loss_curve_ : list of float
        Objective after each iteration.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The same model, fitted with
        ``C = 1 / (alpha * n_samples)``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sk_softmax import SoftmaxClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), SoftmaxClassifier(alpha=1e-2))
    >>> clf.fit(X, y).predict(X[:2])
    array([0, 0])
    >>> clf.predict_proba(X[:2]).round(3)
    array([[0.979, 0.021, 0.   ],
           [0.928, 0.072, 0.   ]])
    >>> clf.score(X, y)
    0.96
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "solver": [StrOptions({"auto", "gd", "lbfgs", "newton-cg"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        alpha=1e-4,
        l1_ratio=0.0,
        solver="auto",
        max_iter=1000,
        tol=1e-4,
        fit_intercept=True,
        class_weight=None,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model by minimising the penalised cross-entropy.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 data are fitted in float32.
        y : array-like of shape (n_samples,)
            Class labels (numbers, strings or a pandas categorical).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples, not all zero. Integer weights
            are equivalent to repeating samples.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if self.l1_ratio > 0 and self.alpha > 0 and self.solver in _SMOOTH_SOLVERS:
            raise ValueError(
                f"solver={self.solver!r} supports only the L2 penalty; got "
                f"l1_ratio={self.l1_ratio}. Use solver='gd' for L1 and elastic-net "
                "penalties, or set l1_ratio=0."
            )
        with _restore_on_error(self):
            _reject_datetimes(X)
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse="csr",
                dtype=[np.float64, np.float32],
                ensure_min_samples=2,
            )
            check_classification_targets(y)
            classes, y_encoded = np.unique(y, return_inverse=True)
            if len(classes) < 2:
                raise ValueError(
                    "SoftmaxClassifier needs samples of at least 2 classes, but "
                    f"y contains only one class: {classes[0]!r}."
                )
            sample_weight = check_sample_weight(sample_weight, X, dtype=X.dtype)
            class_weights = class_weight_vector(
                self.class_weight, classes, y_encoded, sample_weight
            )
            sample_weight = sample_weight * class_weights[y_encoded]
            if not np.any(sample_weight > 0):
                raise ValueError(
                    "The class weights times the sample weights are all zero: "
                    "nothing to fit."
                )
            loss = LinearSoftmaxLoss(
                X,
                y_encoded,
                n_classes=len(classes),
                sample_weight=sample_weight,
                fit_intercept=self.fit_intercept,
                penalty=ElasticNet(self.alpha, self.l1_ratio),
            )
            coef0 = self._initial_coef(loss, classes)
            solver, result = self._solve(loss, coef0, y_encoded)
            # Inside the guard: a warning turned into an error restores the model.
            warn_if_not_converged(result, solver, self.tol, self.max_iter)
        W, b = loss.unpack(result.x)
        self.classes_ = classes
        self.coef_ = W.copy()
        self.intercept_ = b.copy() if b is not None else np.zeros(len(W), X.dtype)
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.loss_curve_ = list(result.history)
        return self

    def _initial_coef(self, loss, classes):
        """Return the start point: the previous solution or the intercept-only one.

        The previous solution is used when warm-starting a compatible model;
        otherwise the weights are zero and the intercept is its optimum.
        """
        previous = getattr(self, "coef_", None)
        if (
            self.warm_start
            and previous is not None
            and np.array_equal(getattr(self, "classes_", None), classes)
            and previous.shape == (loss.n_free_classes, loss.X.shape[1])
        ):
            return loss.pack(previous, self.intercept_)
        return loss.intercept_only_coef()

    def _resolve_solver(self, loss):
        """Return the solver to run: `solver`, or the one ``'auto'`` picks."""
        if self.solver != "auto":
            return self.solver
        if loss.penalty.l1 > 0:
            return "gd"
        n_samples = loss.raw_shape[1]
        if sp.issparse(loss.X) or use_hessian_subsample(n_samples, loss.n_dof):
            return "newton-cg"
        return "lbfgs"

    def _solve(self, loss, coef0, y):
        """Run the chosen solver on the loss; return its name and result.

        ``y`` holds the encoded labels, for newton-cg's stratified Hessian
        subsample.
        """
        solver = self._resolve_solver(loss)
        callback = self._print_iteration(solver) if self.verbose else None
        common = {"tol": self.tol, "max_iter": self.max_iter, "callback": callback}
        if solver == "lbfgs":
            return solver, minimize_lbfgs(loss.value_gradient, coef0, **common)
        if solver == "newton-cg":
            if use_hessian_subsample(len(y), loss.n_dof):
                n_coef = loss.X.shape[1] + loss.fit_intercept  # per class
                loss.subsample_hessian(
                    *stratified_rows(
                        y,
                        ROWS_PER_DOF * loss.n_dof,
                        min_per_class=ROWS_PER_DOF * n_coef,
                        rng=check_random_state(self.random_state),
                    )
                )
            return solver, minimize_newton_cg(
                loss.gradient_hessian_product, loss.value, loss.raw, coef0, **common
            )
        has_l1 = loss.penalty.l1 > 0
        return solver, minimize_gd(
            loss.value_gradient,
            loss.value,
            loss.raw,
            coef0,
            prox=loss.prox if has_l1 else None,
            nonsmooth=loss.nonsmooth_value if has_l1 else None,
            step=loss.initial_step(),
            **common,
        )

    def _print_iteration(self, solver):
        def callback(n_iter, fun, grad_norm, step):
            print(
                f"[{solver}] iteration {n_iter}: objective={fun:.8g} "
                f"gradient={grad_norm:.3g} step={step:.3g}"
            )

        return callback

    def _logits(self, X):
        """Full logits of shape (n_samples, n_classes), the source of every output."""
        check_is_fitted(self)
        _reject_datetimes(X)
        X = validate_data(
            self, X, reset=False, accept_sparse="csr", dtype=[np.float64, np.float32]
        )
        z = np.asarray(X @ self.coef_.T) + self.intercept_
        if len(self.classes_) == 2:
            z = np.hstack([np.zeros_like(z), z])
        return z

    def decision_function(self, X):
        """Logits of the samples.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            ``X @ coef_.T + intercept_``. For binary problems, a 1-D array: the
            logit of ``classes_[1]`` against ``classes_[0]``, positive where
            ``classes_[1]`` is predicted.
        """
        z = self._logits(X)
        return z[:, 1] if len(self.classes_) == 2 else z

    def predict(self, X):
        """Predict class labels: ArgMax of the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The label of the largest logit (the first one on ties).
        """
        index = np.argmax(self._logits(X), axis=1)
        return self.classes_[index]

    def predict_proba(self, X):
        """Class probabilities: SoftMax of the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of `classes_`; each row sums to one.
        """
        return softmax(self._logits(X), axis=1)

    def predict_log_proba(self, X):
        """Log of the class probabilities, computed directly by log-softmax.

        Unlike ``np.log(predict_proba(X))``, it stays finite for probabilities
        below the smallest positive float.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of `classes_`.
        """
        return log_softmax(self._logits(X), axis=1)
