"""SoftmaxClassifier: the scikit-learn estimator. Validates, encodes, solves, stores."""

from numbers import Integral, Real
from typing import ClassVar

from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.metaestimators import available_if

from sk_softmax._callbacks import CallbackSupportMixin
from sk_softmax._fit import fit_model
from sk_softmax._partial_fit import partial_fit_model
from sk_softmax._predict import predict_output
from sk_softmax._solvers import SOLVERS, stochastic_solver
from sk_softmax._stochastic_fit import StochasticSettings
from sk_softmax.utils._sklearn_compat import Interval, StrOptions, _fit_context


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
    solver : {'auto', 'gd', 'lbfgs', 'newton-cg', 'prox-newton', 'sgd', \
            'adam'}, default='auto'
        Optimisation algorithm. The full-batch solvers ``'gd'``, ``'lbfgs'``,
        ``'newton-cg'`` and ``'prox-newton'`` converge to the optimum; the
        stochastic ``'sgd'`` and ``'adam'`` take mini-batch steps, run
        ``partial_fit`` and early stopping, and approach the optimum within
        their gradient noise.

        - ``'auto'``: for ``fit``, the fastest to a tight optimum in the
          package's benchmark (``benchmarks/RESULTS.md``). When
          ``l1_ratio > 0``: ``'prox-newton'`` for numpy and scipy.sparse data,
          ``'gd'`` for dask collections and Array API inputs. Without an L1
          part: ``'newton-cg'`` for sparse data or with ``n_samples`` at
          least 80 times the number of coefficients (its Hessian is then
          estimated from a row subsample); ``'lbfgs'`` otherwise. ``'sgd'``
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
        - ``'prox-newton'``: proximal Newton steps on working sets of
          features (those non-zero plus the worst violators of the optimality
          conditions), each a damped quadratic model solved on
          ``X[:, working_set]`` and a line search; every penalty, made for L1
          and elastic-net. numpy and scipy.sparse input only.
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
        "solver": [StrOptions({"auto", *SOLVERS})],
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
        # Array API inputs: every full-batch solver but those needing numpy.
        solver = SOLVERS.get(self.solver)
        tags.array_api_support = not (
            (solver is not None and (solver.stochastic or solver.in_memory))
            or self.early_stopping
        )
        return tags

    def _stochastic_settings(self, solver):
        """Return the settings of stochastic `solver` from the parameters."""
        params = self.get_params()
        fields = StochasticSettings.__dataclass_fields__
        return StochasticSettings(
            solver=solver,
            **{k: v for k, v in params.items() if k in fields and k != "solver"},
        )

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
        return fit_model(self, X, y, sample_weight)

    @available_if(lambda self: stochastic_solver(self.solver) is not None)
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
        solver = stochastic_solver(self.solver)
        return partial_fit_model(self, solver, X, y, classes, sample_weight)

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
        return predict_output(self, X, "decision_function")

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
        return predict_output(self, X, "predict")

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
        return predict_output(self, X, "predict_proba")

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
        return predict_output(self, X, "predict_log_proba")
