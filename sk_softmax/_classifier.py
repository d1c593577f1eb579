"""SoftmaxClassifier: the scikit-learn estimator. Validates, encodes, solves, stores."""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from sk_softmax._array_api import DeviceObjective, to_host, uses_array_api
from sk_softmax._callbacks import CallbackSupportMixin, FitReporter
from sk_softmax._dask import ChunkPool, DistributedLoss, is_dask_collection
from sk_softmax._dask_io import (
    as_dask_arrays,
    distributed_loss,
    feature_names,
)
from sk_softmax._full_batch import (
    FULL_BATCH_SOLVERS,
    SMOOTH_SOLVERS,
    resolve_full_batch_solver,
    solve_full_batch,
)
from sk_softmax._guards import (
    diverged,
    encode_known,
    lazy_on_dask,
    partial_fit_classes,
    reject_datetimes,
    require_two_classes,
    restore_on_error,
)
from sk_softmax._layout import CoefficientLayout
from sk_softmax._loss import LinearSoftmaxLoss
from sk_softmax._optim import NonFiniteError, warn_if_not_converged
from sk_softmax._penalty import ElasticNet
from sk_softmax._softmax import log_softmax, log_softmax_xp, softmax, softmax_xp
from sk_softmax._stochastic_fit import (
    AUTO_STOCHASTIC,
    STOCHASTIC_SOLVERS,
    StochasticState,
    draw_seed,
    new_state,
    solve_stochastic,
    train_one_epoch,
    validation_split,
)
from sk_softmax._weights import (
    check_sample_weight,
    class_weight_vector,
)
from sk_softmax.utils._sklearn_compat import (
    Interval,
    StrOptions,
    _fit_context,
    check_same_namespace,
    get_namespace,
    get_namespace_and_device,
    move_to,
)


class SoftmaxClassifier(CallbackSupportMixin, ClassifierMixin, BaseEstimator):
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
    solver : {'auto', 'gd', 'lbfgs', 'newton-cg', 'sgd', 'adam'}, default='auto'
        Optimisation algorithm. The full-batch solvers ``'gd'``, ``'lbfgs'``
        and ``'newton-cg'`` converge to the optimum; the stochastic ``'sgd'``
        and ``'adam'`` take mini-batch steps, run ``partial_fit`` and early
        stopping, and approach the optimum within their gradient noise.

        - ``'auto'``: for ``fit``, the fastest to a tight optimum in the
          package's benchmark (``benchmarks/RESULTS.md``): ``'gd'`` when
          ``l1_ratio > 0``; ``'newton-cg'`` for sparse data or when
          ``n_samples`` is at least 80 times the number of coefficients (its
          subsampled Hessian then applies); ``'lbfgs'`` otherwise. ``'sgd'``
          with `early_stopping` and for ``partial_fit``.
        - ``'gd'``: accelerated proximal gradient descent with a backtracking
          step size and adaptive restart; handles every penalty exactly.
        - ``'lbfgs'``: scipy's L-BFGS-B quasi-Newton method; L2 only. Its line
          search compares objective values, which stop resolving decreases
          once the gradient is near ``1e-9`` (float64) or ``1e-5`` (float32),
          on some problems already near ``1e-8`` (``1e-4``): below that it
          stops with a ``ConvergenceWarning``; ``'gd'`` and
          ``'newton-cg'`` go further.
        - ``'newton-cg'``: truncated Newton, with Hessian-vector products
          through the softmax Jacobian; L2 only. When ``n_samples`` is at least
          80 times the number of coefficients, the products use a random
          subsample of 20 rows per coefficient (drawn from `random_state`); the
          gradient, and so the optimum and the stopping test, stay exact.
        - ``'sgd'``: mini-batch stochastic gradient descent with momentum;
          every penalty (L1 by a proximal step).
        - ``'adam'``: mini-batch Adam; every penalty (L1 by a proximal step in
          Adam's per-coefficient metric).

        ``'lbfgs'`` and ``'newton-cg'`` raise a ValueError for ``l1_ratio > 0``;
        ``partial_fit`` exists only for ``'auto'``, ``'sgd'`` and ``'adam'``.
    max_iter : int, default=1000
        Maximum number of iterations of a full-batch solver, or of epochs
        (passes over the data) of a stochastic one.
    tol : float, default=1e-4
        Full-batch solvers stop when the largest absolute entry of the
        (proximal) gradient at the fitted coefficients is at most `tol`.
        Stochastic solvers stop when the monitored loss (training loss, or
        validation loss with `early_stopping`) has not improved by at least
        `tol` for `n_iter_no_change` epochs. Only then is `converged_` True.
    fit_intercept : bool, default=True
        Whether to fit an unpenalised intercept per class.
    class_weight : dict or 'balanced', default=None
        Weights of the classes, multiplied into the sample weights. ``None``
        gives every class weight 1; a dict ``{label: weight}`` sets some of them;
        ``'balanced'`` uses ``sum(sample_weight) / (n_classes * class total)``.
    warm_start : bool, default=False
        Start from the previous solution when refitting on data with the same
        classes and features. ``'newton-cg'``, ``'sgd'`` and ``'adam'`` then
        continue exactly as one longer run would (the stochastic solvers keep
        their moments, schedule and shuffling); ``'gd'`` and ``'lbfgs'``
        restart their momentum or curvature memory from the previous
        coefficients.
    random_state : int, RandomState instance or None, default=None
        Seed of ``'newton-cg'``'s Hessian subsample (see `solver`), of the
        stochastic solvers' shuffling and of the early-stopping split; pass an
        int for bitwise reproducible fits. ``'gd'`` and ``'lbfgs'`` are
        deterministic.
    verbose : int, default=0
        Print one line per iteration or epoch when positive: the objective,
        the gradient's largest entry and the step size, or the epoch's
        training loss, validation loss and learning rate.
    batch_size : int or 'auto', default='auto'
        Samples per mini-batch of the stochastic solvers; ``'auto'`` is
        ``min(200, n_samples)``.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule of the stochastic solvers: ``'constant'`` keeps
        `learning_rate_init`; ``'invscaling'`` uses
        ``learning_rate_init / (t + 1) ** power_t`` after ``t`` samples;
        ``'adaptive'`` divides the rate by 5 each time the monitored loss
        fails to improve by `tol` for `n_iter_no_change` epochs, instead of
        stopping, and stops once it has fallen below ``1e-6`` times its start.
    learning_rate_init : float or 'auto', default='auto'
        Initial learning rate of the stochastic solvers. ``'auto'``: for
        ``'sgd'``, ``1 / L`` with ``L`` a bound on the objective's curvature
        computed from the data (``0.5 * mean(||x_i||^2 + 1) + alpha``, the
        gradient-descent step that cannot diverge), so it adapts to the
        features' scale; for ``'adam'``, 0.001 (as ``MLPClassifier``).
    power_t : float, default=0.5
        Exponent of the ``'invscaling'`` schedule.
    momentum : float, default=0.9
        Momentum of ``'sgd'``, in ``[0, 1)``.
    nesterovs_momentum : bool, default=True
        Whether ``'sgd'`` uses Nesterov's momentum.
    beta_1 : float, default=0.9
        Decay rate of ``'adam'``'s first-moment estimate, in ``[0, 1)``.
    beta_2 : float, default=0.999
        Decay rate of ``'adam'``'s second-moment estimate, in ``[0, 1)``.
    epsilon : float, default=1e-8
        ``'adam'``'s numerical-stability constant.
    shuffle : bool, default=True
        Whether the stochastic solvers shuffle the samples at each epoch.
    early_stopping : bool, default=False
        Hold out a stratified `validation_fraction` of the training data, stop
        when its loss (weighted cross-entropy) has not improved by `tol` for
        `n_iter_no_change` epochs, and keep the parameters of the epoch with
        the smallest validation loss. Stochastic solvers only (a full-batch
        `solver` raises a ValueError; ``'auto'`` runs ``'sgd'``); ignored by
        ``partial_fit``.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping, in ``(0, 1)``.
    n_iter_no_change : int, default=10
        Number of epochs without improvement before a stochastic solver stops
        (or, with ``learning_rate='adaptive'``, lowers its rate).

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
        Number of solver iterations run, or of epochs for the stochastic
        solvers (each ``partial_fit`` call adds one).
    converged_ : bool
        Whether the solver met its stopping rule (see `tol`) within
        `max_iter`. Always False after ``partial_fit``, which does not test it.
    loss_curve_ : list of float
        Objective after each iteration; for the stochastic solvers, the
        running training loss of each epoch (the mean of its mini-batch
        objectives, penalty included).
    validation_loss_curve_ : list of float or None
        Validation loss after each epoch with `early_stopping`, else None.
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

    Online, one batch at a time (a true softmax update, not one-vs-rest):

    >>> import numpy as np
    >>> X_scaled = StandardScaler().fit_transform(X)
    >>> online = SoftmaxClassifier(solver="sgd", random_state=0)
    >>> for epoch in range(4):
    ...     order = np.random.RandomState(epoch).permutation(150)
    ...     for rows in np.array_split(order, 5):
    ...         online = online.partial_fit(X_scaled[rows], y[rows], classes=[0, 1, 2])
    >>> online.n_iter_
    20
    >>> bool(online.score(X_scaled, y) > 0.9)
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "solver": [StrOptions({"auto", "gd", "lbfgs", "newton-cg", "sgd", "adam"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto"}),
        ],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "shuffle": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
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
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init="auto",
        power_t=0.5,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
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
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # Array API inputs: every full-batch solver (see _fit_array_api).
        tags.array_api_support = (
            self.solver not in STOCHASTIC_SOLVERS and not self.early_stopping
        )
        return tags

    # ------------------------------------------------------------------ fit
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
        self._check_solver_options()
        if is_dask_collection(X):
            return self._fit_dask(X, y, sample_weight)
        if uses_array_api(X):
            return self._fit_array_api(X, y, sample_weight)
        reporter = FitReporter(self, max_subtasks=self.max_iter)
        with restore_on_error(self):
            reject_datetimes(X)
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
            require_two_classes(classes)
            reporter.begin(X, y, sample_weight)
            sample_weight = check_sample_weight(sample_weight, X, dtype=X.dtype)
            class_totals = np.bincount(
                y_encoded, weights=sample_weight, minlength=len(classes)
            )
            class_weights = class_weight_vector(
                self.class_weight, classes, class_totals
            )
            sample_weight = sample_weight * class_weights[y_encoded]
            if not np.any(sample_weight > 0):
                raise ValueError(
                    "The class weights times the sample weights are all zero: "
                    "nothing to fit."
                )
            solver = self._resolve_solver(X, len(classes))
            callback = reporter.solver_callback(
                solver,
                solver in STOCHASTIC_SOLVERS,
                lambda x: self._attributes(classes, x, X.dtype),
            )
            if solver in STOCHASTIC_SOLVERS:
                result, state = self._fit_stochastic(
                    solver, X, y_encoded, classes, sample_weight, callback
                )
                state.class_totals = class_totals
            else:
                loss = self._make_loss(X, y_encoded, classes, sample_weight)
                result = self._solve_full_batch(solver, loss, classes, callback)
                # Only the class totals carry over to a later partial_fit.
                state = StochasticState(None, None, None, None, 0, class_totals)
            # Inside the guard: a warning turned into an error restores the model.
            warn_if_not_converged(result, solver, self.tol, self.max_iter)
        attributes = self._attributes(classes, result.x, X.dtype)
        return self._finish_fit(reporter, attributes, result, state)

    def _finish_fit(self, reporter, attributes, result, state):
        """Store the fitted attributes and the solver state; end the report."""
        vars(self).update(attributes)
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.loss_curve_ = list(result.history)
        self.validation_loss_curve_ = (
            list(result.validation_history) if self.early_stopping else None
        )
        self._stochastic_state = state
        reporter.end()
        return self

    def _fit_dask(self, X, y, sample_weight):
        """Fit on dask collections with a full-batch solver, chunk by chunk.

        The objective is reduced over the row chunks where they live (see
        :mod:`sk_softmax._dask`); the data are never gathered.
        """
        if self.solver in STOCHASTIC_SOLVERS or self.early_stopping:
            raise ValueError(
                "fit on dask collections runs the full-batch solvers ('auto', "
                f"'gd', 'lbfgs', 'newton-cg'); got solver={self.solver!r}"
                f"{' with early_stopping' if self.early_stopping else ''}. For "
                "'sgd' or 'adam', call partial_fit on the blocks in turn."
            )
        reporter = FitReporter(self, max_subtasks=self.max_iter)
        with restore_on_error(self):
            names = feature_names(X)
            X, y, sample_weight = as_dask_arrays(X, y, sample_weight)
            self.n_features_in_ = X.shape[1]
            if names is not None:
                self.feature_names_in_ = names
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            reporter.begin(X, y, sample_weight)
            loss, classes, class_totals = distributed_loss(
                X,
                y,
                sample_weight,
                class_weight=self.class_weight,
                fit_intercept=self.fit_intercept,
                penalty=ElasticNet(self.alpha, self.l1_ratio),
            )
            solver = self._resolve_solver(X, len(classes))
            callback = reporter.solver_callback(
                solver, False, lambda x: self._attributes(classes, x, X.dtype)
            )
            result = self._solve_full_batch(solver, loss, classes, callback)
            warn_if_not_converged(result, solver, self.tol, self.max_iter)
        state = StochasticState(None, None, None, None, 0, class_totals)
        attributes = self._attributes(classes, result.x, X.dtype)
        return self._finish_fit(reporter, attributes, result, state)

    def _fit_array_api(self, X, y, sample_weight):
        """Fit on an array API input, which stays in its namespace and device.

        The loss runs on the input's device; the full-batch solver on the host
        sees only the coefficients (see :mod:`sk_softmax._array_api`). Fitted
        arrays are put on the input's device.
        """
        if self.solver in STOCHASTIC_SOLVERS or self.early_stopping:
            raise ValueError(
                "Array API inputs run the full-batch solvers ('auto', 'gd', "
                f"'lbfgs', 'newton-cg'); got solver={self.solver!r}"
                f"{' with early_stopping' if self.early_stopping else ''}."
            )
        reporter = FitReporter(self, max_subtasks=self.max_iter)
        with restore_on_error(self):
            xp, _, device = get_namespace_and_device(X)
            X, y = validate_data(
                self, X, y, dtype=[xp.float64, xp.float32], ensure_min_samples=2
            )
            y = move_to(y, xp=xp, device=device)
            check_classification_targets(y)
            classes, y_encoded = xp.unique_inverse(y)
            require_two_classes(to_host(classes))
            reporter.begin(X, y, sample_weight)
            if sample_weight is not None:
                sample_weight = move_to(sample_weight, xp=xp, device=device)
            sample_weight = check_sample_weight(sample_weight, X, dtype=X.dtype)
            classes_host = to_host(classes)
            totals = np.bincount(
                to_host(y_encoded),
                weights=to_host(sample_weight),
                minlength=len(classes_host),
            )
            class_weights = class_weight_vector(self.class_weight, classes_host, totals)
            class_weights_xp = xp.asarray(class_weights, dtype=X.dtype, device=device)
            sample_weight = sample_weight * xp.take(class_weights_xp, y_encoded)
            if not bool(xp.any(sample_weight > 0)):
                raise ValueError(
                    "The class weights times the sample weights are all zero: "
                    "nothing to fit."
                )
            device_loss = LinearSoftmaxLoss(
                X,
                y_encoded,
                n_classes=len(classes_host),
                sample_weight=sample_weight,
                fit_intercept=self.fit_intercept,
            )
            loss = DistributedLoss(
                ChunkPool([DeviceObjective(device_loss)], remote=False),
                totals * class_weights,
                X.shape[0],
                X.shape[1],
                self.fit_intercept,
                ElasticNet(self.alpha, self.l1_ratio),
                device_loss.dtype,
                [1.0],
            )
            solver = self._resolve_solver(X, len(classes_host))

            def on_device(coef):
                attributes = self._attributes(classes, coef, device_loss.dtype)
                for name in ("coef_", "intercept_"):
                    attributes[name] = xp.asarray(attributes[name], device=device)
                return attributes

            callback = reporter.solver_callback(solver, False, on_device)
            result = self._solve_full_batch(solver, loss, classes_host, callback)
            warn_if_not_converged(result, solver, self.tol, self.max_iter)
        state = StochasticState(None, None, None, None, 0, totals)
        return self._finish_fit(reporter, on_device(result.x), result, state)

    def _solve_full_batch(self, solver, loss, classes, callback):
        """Run a full-batch solver on `loss` with the estimator's settings.

        An overflow (finite features too large for the dtype) is a ValueError
        that says what to do, not a numpy warning and a crash further on.
        """
        try:
            with np.errstate(over="raise", invalid="raise"):
                return solve_full_batch(
                    solver,
                    loss,
                    self._initial_coef(loss, classes),
                    tol=self.tol,
                    max_iter=self.max_iter,
                    random_state=self.random_state,
                    callback=callback,
                )
        except (FloatingPointError, ZeroDivisionError) as exc:
            raise ValueError(
                f"Solver {solver!r} overflowed ({exc}): the features are too "
                "large for the dtype. Scale the features, for example with "
                "sklearn.preprocessing.StandardScaler."
            ) from exc

    def _check_solver_options(self):
        """Refuse parameter combinations the chosen solver cannot honour."""
        l1 = self.l1_ratio > 0 and self.alpha > 0
        if l1 and self.solver in SMOOTH_SOLVERS:
            raise ValueError(
                f"solver={self.solver!r} supports only the L2 penalty; got "
                f"l1_ratio={self.l1_ratio}. Use solver='gd', 'sgd' or 'adam' for "
                "L1 and elastic-net penalties, or set l1_ratio=0."
            )
        if self.early_stopping and self.solver in FULL_BATCH_SOLVERS:
            raise ValueError(
                f"early_stopping needs a stochastic solver; solver={self.solver!r} "
                "is full-batch. Use solver='sgd', 'adam' or 'auto'."
            )

    def _resolve_solver(self, X, n_classes):
        """Return the solver to run: `solver`, or the one ``'auto'`` picks.

        ``'auto'`` is ``'sgd'`` with early stopping, else the full-batch rule
        of :func:`~sk_softmax._full_batch.resolve_full_batch_solver`.
        """
        if self.solver != "auto":
            return self.solver
        if self.early_stopping:
            return AUTO_STOCHASTIC
        return resolve_full_batch_solver(
            X, n_classes, self.fit_intercept, self.alpha * self.l1_ratio
        )

    def _make_loss(self, X, y_encoded, classes, sample_weight, penalty=True):
        """Return the objective on these samples, with the estimator's settings."""
        return LinearSoftmaxLoss(
            X,
            y_encoded,
            n_classes=len(classes),
            sample_weight=sample_weight,
            fit_intercept=self.fit_intercept,
            penalty=ElasticNet(self.alpha, self.l1_ratio) if penalty else None,
        )

    def _initial_coef(self, loss, classes):
        """Return the start point: the previous solution or the intercept-only one.

        The previous solution is used when warm-starting a compatible model;
        otherwise the weights are zero and the intercept is its optimum.
        """
        if self.warm_start and self._compatible(classes, loss.n_features):
            return loss.pack(to_host(self.coef_), to_host(self.intercept_))
        return loss.intercept_only_coef()

    def _compatible(self, classes, n_features):
        """Whether a fitted model with these classes and features exists."""
        previous = getattr(self, "coef_", None)
        return (
            previous is not None
            and np.array_equal(to_host(self.classes_), to_host(classes))
            and previous.shape[1] == n_features
        )

    def _fit_stochastic(self, solver, X, y, classes, sample_weight, callback):
        """Run `solver` ('sgd' or 'adam') to its stopping rule.

        Returns the solver's result and the state to keep for later calls.
        With ``warm_start`` and a compatible model trained by the same solver,
        the previous state (moments, learning rate, shuffling) continues.
        """
        previous = getattr(self, "_stochastic_state", None)
        resume = (
            self.warm_start
            and previous is not None
            and previous.solver == solver
            and self._compatible(classes, X.shape[1])
        )
        state = previous.copy() if resume else None
        seed = state.seed if resume else draw_seed(self.random_state)
        validation_loss = None
        if self.early_stopping:
            train, held_out = validation_split(
                y, sample_weight, self.validation_fraction, seed
            )
            validation_loss = self._make_loss(
                X[held_out], y[held_out], classes, sample_weight[held_out], False
            ).value
            X, y, sample_weight = X[train], y[train], sample_weight[train]
        loss = self._make_loss(X, y, classes, sample_weight)
        params = self.get_params()
        if state is None:
            state = new_state(params, solver, loss, seed)
        try:
            result = solve_stochastic(
                state,
                loss,
                self._initial_coef(loss, classes),
                params,
                validation_loss,
                callback,
            )
        except NonFiniteError as exc:
            raise diverged(solver, exc) from exc
        return result, state

    # ---------------------------------------------------------- partial_fit
    def _stochastic_solver(self):
        """Return the solver ``partial_fit`` uses, None if `solver` is full-batch."""
        if self.solver == "auto":
            return AUTO_STOCHASTIC
        return self.solver if self.solver in STOCHASTIC_SOLVERS else None

    @available_if(lambda self: self._stochastic_solver() is not None)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the model with one epoch of mini-batch steps on a batch of data.

        Training is a true softmax update (not one-versus-rest) by the
        stochastic solver: `solver` if it is ``'sgd'`` or ``'adam'``, ``'sgd'``
        for ``'auto'``; the method does not exist for the full-batch solvers.
        Successive calls resume the solver's state (momentum or moments,
        learning-rate schedule, shuffling); after ``fit`` they continue from
        the fitted model. `early_stopping` and `max_iter` do not apply.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A batch of training data.
        y : array-like of shape (n_samples,)
            Its class labels; all must be in `classes_`.
        classes : array-like of shape (n_classes,), default=None
            Every class label that will ever appear. Required on the first
            call (unless the model was fitted by ``fit``), optional after, where
            it must equal `classes_`. A label outside `classes` is an error:
            `classes_` fixes the columns of ``predict_proba``, which the model
            never changes under a caller's feet.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples. A batch whose weights are all
            zero leaves a fitted model unchanged. Within the call, each
            mini-batch's step is scaled by its share of the weight relative to
            an average mini-batch, at most 1: near-weightless samples barely
            move the model.

        Returns
        -------
        self : object
            The updated estimator.
        """
        solver = self._stochastic_solver()
        first_call = not hasattr(self, "classes_")
        reporter = FitReporter(self, max_subtasks=1)
        with restore_on_error(self):
            classes = partial_fit_classes(self, classes, first_call)
            reject_datetimes(X)
            X, y = validate_data(
                self,
                X,
                y,
                reset=first_call,
                accept_sparse="csr",
                dtype=[np.float64, np.float32] if first_call else self.coef_.dtype,
                ensure_min_samples=1,
            )
            if first_call:  # later labels must be in classes_, a stricter test
                check_classification_targets(y)
            y_encoded = encode_known(y, classes)
            reporter.begin(X, y, sample_weight)
            sample_weight = check_sample_weight(
                sample_weight, X, dtype=X.dtype, allow_all_zero=True
            )
            state, coef = self._partial_fit_start(solver, X, classes, first_call)
            if state.class_totals is None:
                state.class_totals = np.zeros(len(classes))
            state.class_totals = state.class_totals + np.bincount(
                y_encoded, weights=sample_weight, minlength=len(classes)
            )
            sample_weight = (
                sample_weight
                * class_weight_vector(self.class_weight, classes, state.class_totals)[
                    y_encoded
                ]
            )
            if not np.any(sample_weight > 0):
                if first_call:  # nothing to learn from: the uninformed model
                    vars(self).update(self._attributes(classes, coef, X.dtype))
                    self._reset_partial_records()
                reporter.end()
                return self
            loss = self._make_loss(X, y_encoded, classes, sample_weight)
            params = self.get_params()
            if state.schedule is None:
                fresh = new_state(params, solver, loss, state.seed)
                fresh.class_totals, state = state.class_totals, fresh
            try:
                coef, value = train_one_epoch(state, loss, coef, params)
            except NonFiniteError as exc:
                raise diverged(solver, exc) from exc
            if first_call:
                self._reset_partial_records()
            vars(self).update(self._attributes(classes, coef, X.dtype))
            self.n_iter_ += 1
            self.converged_ = False
            self.loss_curve_ = [*self.loss_curve_, value]
            self.validation_loss_curve_ = None
            self._stochastic_state = state
            # One epoch, one sub-task; there is nothing left for a stop request.
            callback = reporter.solver_callback(
                solver, True, lambda x: self._attributes(classes, x, X.dtype)
            )
            callback(self.n_iter_, value, np.nan, state.schedule.rate(), coef)
        reporter.end()
        return self

    def _partial_fit_start(self, solver, X, classes, first_call):
        """Return the solver state and coefficients ``partial_fit`` starts from.

        A copy of the kept state when it belongs to `solver`; otherwise a state
        whose optimiser is built once the batch's loss is known (its
        ``schedule`` is None). The coefficients are the fitted ones, or zero
        (uniform probabilities) on the first call.
        """
        layout = self._layout(classes, X.shape[1], X.dtype)
        if first_call:
            coef = np.zeros(layout.n_dof, dtype=layout.dtype)
        else:
            coef = layout.pack(self.coef_, self.intercept_)
        previous = getattr(self, "_stochastic_state", None)
        if not first_call and previous is not None and previous.solver == solver:
            return previous.copy(), coef
        totals = None if first_call or previous is None else previous.class_totals
        seed = draw_seed(self.random_state)
        return StochasticState(solver, None, None, seed, class_totals=totals), coef

    def _reset_partial_records(self):
        self.n_iter_ = 0
        self.converged_ = False
        self.loss_curve_ = []
        self.validation_loss_curve_ = None

    def _layout(self, classes, n_features, dtype):
        """Return the packing of this model's coefficients (see _layout.py)."""
        return CoefficientLayout(
            n_features, classes.shape[0], self.fit_intercept, None, dtype
        )

    def _attributes(self, classes, coef, dtype):
        """Return `classes_`, `coef_` and `intercept_` of packed coefficients."""
        layout = self._layout(classes, self.n_features_in_, dtype)
        W, b = layout.unpack(np.asarray(coef))
        if b is None:
            b = np.zeros(layout.n_free_classes)
        return {
            "classes_": classes,
            "coef_": W.astype(dtype),
            "intercept_": b.astype(dtype),
        }

    def _logits(self, X, method):
        """Full logits of shape (n_samples, n_classes), the source of every output."""
        check_is_fitted(self)
        reject_datetimes(X)
        check_same_namespace(X, self, attribute="coef_", method=method)
        # numpy itself for numpy and sparse input, whatever the dispatch.
        xp = get_namespace(X)[0] if uses_array_api(X) else np
        X = validate_data(
            self, X, reset=False, accept_sparse="csr", dtype=[xp.float64, xp.float32]
        )
        # Finite X can still give logits beyond the dtype's range (and
        # inf - inf = NaN inside the product): refuse them, never a NaN.
        with np.errstate(over="ignore", invalid="ignore"):
            if xp is np:
                z = np.asarray(X @ self.coef_.T) + self.intercept_
            else:
                z = X @ self.coef_.T + self.intercept_
        if isinstance(z, np.ndarray) and not np.all(np.isfinite(z)):
            n_bad = int(np.sum(~np.all(np.isfinite(z), axis=1)))
            raise ValueError(
                f"The logits X @ coef_.T + intercept_ of {n_bad} sample(s) "
                f"overflow {z.dtype}: X holds values far beyond the range of "
                "the training data. Scale X as it was scaled for fit."
            )
        if self.classes_.shape[0] == 2:
            z = xp.concat([xp.zeros_like(z), z], axis=1)
        return z

    @lazy_on_dask
    def decision_function(self, X):
        """Compute the logits of the samples.

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
        z = self._logits(X, "decision_function")
        return z[:, 1] if self.classes_.shape[0] == 2 else z

    @lazy_on_dask
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
        z = self._logits(X, "predict")
        if isinstance(z, np.ndarray):
            return self.classes_[np.argmax(z, axis=1)]
        xp, _ = get_namespace(z)
        return xp.take(self.classes_, xp.argmax(z, axis=1))

    @lazy_on_dask
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
        z = self._logits(X, "predict_proba")
        if isinstance(z, np.ndarray):
            return softmax(z, axis=1)
        return softmax_xp(z, get_namespace(z)[0], axis=1)

    @lazy_on_dask
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
        z = self._logits(X, "predict_log_proba")
        if isinstance(z, np.ndarray):
            return log_softmax(z, axis=1)
        return log_softmax_xp(z, get_namespace(z)[0], axis=1)
