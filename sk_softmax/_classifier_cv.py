"""SoftmaxClassifierCV: alpha (and l1_ratio) chosen by cross-validated paths."""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
)
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from sk_softmax._classifier import SoftmaxClassifier
from sk_softmax._cv_paths import (
    check_l1_ratios,
    cross_validate_paths,
    refit_from_paths,
    routed_params,
)
from sk_softmax._cv_predict import RefittedModelMixin
from sk_softmax._cv_results import SELECTIONS, cv_results, fold_statistics, select
from sk_softmax._path import PATH_SOLVERS, alpha_grid, check_alphas
from sk_softmax._path_data import PathData, _backend
from sk_softmax.utils._sklearn_compat import (
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
)

# The parameters the path's SoftmaxClassifier fits take from the CV estimator.
_FIT_PARAMS = (
    "solver",
    "max_iter",
    "tol",
    "fit_intercept",
    "class_weight",
    "random_state",
    "verbose",
)


class SoftmaxClassifierCV(RefittedModelMixin, ClassifierMixin, BaseEstimator):
    """Softmax regression with `alpha` chosen by cross-validation along paths.

    Each split of `cv` fits :class:`SoftmaxClassifier` along a decreasing grid
    of penalties (:func:`softmax_path`), every fit warm-started from the
    previous one, and scores each penalty on the held-out part. The penalty
    (and, with several `l1_ratios`, the mixing) with the best mean score, or
    the largest within one standard error of it, is chosen; with `refit`, the
    model at the chosen penalty is fitted on all the data, starting from the
    mean of the splits' solutions there.

    Read more in the :doc:`user guide </user_guide/choosing_alpha>`.

    Parameters
    ----------
    alphas : int or array-like of shape (n_alphas,), default=100
        Penalties to try. An int is the number of penalties on the default
        grid of each l1_ratio, from ``alpha_max`` (computed on all the data,
        see :func:`softmax_path`) down to ``eps * alpha_max``. An array gives
        the same penalties for every l1_ratio; they are sorted largest first.
    l1_ratios : array-like of shape (n_l1_ratios,), default=(0.0,)
        Elastic-net mixings to try, each in ``[0, 1]``; each gets its own path.
    eps : float, default=1e-3
        Ratio of the smallest to the largest penalty of the default grid.
    cv : int, cross-validation generator or iterable, default=None
        Splitting strategy, as for :class:`~sklearn.model_selection.GridSearchCV`:
        None is 5-fold, an int the number of folds (stratified), or a splitter.
    scoring : str or callable, default=None
        Score to maximise on the held-out parts, a scorer name or a callable
        ``scorer(estimator, X, y)``. None is ``'neg_log_loss'``, the negative
        cross-entropy of the held-out labels, which the paths compute directly
        from the log-softmax of the logits (the same values as scikit-learn's
        scorer, faster).
    n_jobs : int, default=None
        Number of jobs that fit the paths in parallel with joblib, one path per
        split and l1_ratio. None means 1 unless in a joblib context.
    refit : bool, default=True
        Whether to fit the chosen model on all the data; `predict` and the
        other methods need it.
    selection : {'best', 'one_se'}, default='best'
        ``'best'``: the grid point with the highest mean score. ``'one_se'``:
        the one-standard-error rule, the largest `alpha` (on the best point's
        l1_ratio) whose mean score is at least the best mean score minus its
        standard error.
    screening : bool, default=True
        Whether paths with an L1 part use strong-rule screening (see
        :func:`softmax_path`).
    solver : {'auto', 'gd', 'lbfgs', 'newton-cg'}, default='auto'
        Full-batch solver of every fit, as in :class:`SoftmaxClassifier`.
    max_iter : int, default=1000
        Iteration limit of every fit.
    tol : float, default=1e-4
        Stopping tolerance of every fit.
    fit_intercept : bool, default=True
        Whether to fit intercepts.
    class_weight : dict or 'balanced', default=None
        Class weights of every fit (``'balanced'`` is computed on each fit's
        training data, as GridSearchCV's refits do).
    random_state : int, RandomState instance or None, default=None
        Seed of ``'newton-cg'``'s Hessian subsample.
    verbose : int, default=0
        Verbosity of every fit.

    Attributes
    ----------
    alpha_ : float
        The chosen penalty.
    l1_ratio_ : float
        The chosen elastic-net mixing.
    alphas_ : ndarray of shape (n_l1_ratios, n_alphas)
        The penalties tried for each l1_ratio, largest first.
    l1_ratios_ : ndarray of shape (n_l1_ratios,)
        The mixings tried.
    cv_results_ : dict of ndarrays
        One entry per grid point (l1_ratio by l1_ratio, alphas largest first),
        with the keys GridSearchCV uses: ``param_alpha``,
        ``param_l1_ratio``, ``params``, ``split{k}_test_score``,
        ``mean_test_score``, ``std_test_score``, ``rank_test_score``; plus
        ``sem_test_score`` (standard error of the mean score) and
        ``mean_n_iter``. ``pandas.DataFrame(cv_results_)`` takes it directly.
    best_index_ : int
        Index of the chosen point in `cv_results_`.
    best_score_ : float
        Mean cross-validated score of the chosen point.
    n_iter_ : ndarray of shape (n_l1_ratios, n_splits, n_alphas)
        Solver iterations of every fit of the cross-validation paths.
    coef_path_ : ndarray of shape (n_l1_ratios, n_splits, n_classes_or_1, \
            n_features, n_alphas)
        ``coef_`` along each split's path, over ``alphas_`` of its l1_ratio
        (the layout of :func:`softmax_path` for each split).
    intercept_path_ : ndarray of shape (n_l1_ratios, n_splits, \
            n_classes_or_1, n_alphas)
        ``intercept_`` along each split's path.
    estimator_ : SoftmaxClassifier
        The model at `alpha_` and `l1_ratio_` on all the data. Only with
        `refit`.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients of `estimator_`. Only with `refit`.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts of `estimator_`. Only with `refit`.
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    SoftmaxClassifier : The estimator fitted along the paths.
    softmax_path : The path itself.
    sklearn.linear_model.LogisticRegressionCV : The same idea for
        ``LogisticRegression``'s `C`.

    Notes
    -----
    The fits run on numpy arrays and sparse matrices (dask and array API
    inputs: fit :func:`softmax_path` or :class:`SoftmaxClassifier` directly).
    Without metadata routing, `sample_weight` reaches every fit and the
    scorer, and ``groups`` the splitter; with
    ``sklearn.set_config(enable_metadata_routing=True)`` they go where the
    splitter and the scorer request them.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sk_softmax import SoftmaxClassifierCV
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = SoftmaxClassifierCV(alphas=20).fit(X, y)
    >>> round(clf.alpha_, 6)
    0.000435
    >>> clf.predict(X[:2])
    array([0, 0])
    >>> one_se = SoftmaxClassifierCV(alphas=20, selection="one_se").fit(X, y)
    >>> bool(one_se.alpha_ >= clf.alpha_)
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "l1_ratios": ["array-like"],
        "eps": [Interval(Real, 0, 1, closed="neither")],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "n_jobs": [Integral, None],
        "refit": ["boolean"],
        "selection": [StrOptions(set(SELECTIONS))],
        "screening": ["boolean"],
        "solver": [StrOptions(set(PATH_SOLVERS))],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        alphas=100,
        l1_ratios=(0.0,),
        eps=1e-3,
        cv=None,
        scoring=None,
        n_jobs=None,
        refit=True,
        selection="best",
        screening=True,
        solver="auto",
        max_iter=1000,
        tol=1e-4,
        fit_intercept=True,
        class_weight=None,
        random_state=None,
        verbose=0,
    ):
        self.alphas = alphas
        self.l1_ratios = l1_ratios
        self.eps = eps
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.selection = selection
        self.screening = screening
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _get_scorer(self):
        """Return the scorer of `scoring`, ``'neg_log_loss'`` when it is None."""
        return check_scoring(self, scoring=self.scoring or "neg_log_loss")

    def _template(self, l1_ratio):
        """Return the SoftmaxClassifier the fits of a path at `l1_ratio` clone."""
        return SoftmaxClassifier(
            l1_ratio=l1_ratio, **{name: getattr(self, name) for name in _FIT_PARAMS}
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **params):
        """Choose `alpha` (and `l1_ratio`) by cross-validation; refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights of every fit and, without metadata routing, of the
            scorer.
        **params : dict
            ``groups`` for the splitter; with metadata routing enabled, any
            metadata the splitter or the scorer requests.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if _backend(X) != "numpy":
            raise TypeError(
                "SoftmaxClassifierCV fits numpy arrays, pandas DataFrames and "
                f"sparse matrices; got {type(X).__name__}. For dask or array API "
                "inputs, use softmax_path or SoftmaxClassifier directly."
            )
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            ensure_min_samples=2,
        )
        check_classification_targets(y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        routed = routed_params(self, sample_weight, params)
        l1_ratios = check_l1_ratios(self.l1_ratios, self.solver)
        data = PathData(X, y, sample_weight, self.class_weight, self.fit_intercept)
        self.classes_, self.l1_ratios_ = data.classes, l1_ratios
        self.alphas_ = np.stack([self._grid(data, l1) for l1 in l1_ratios])
        cv = check_cv(self.cv, y, classifier=True)
        splits = list(cv.split(X, y, **routed.splitter.split))
        # The default score is computed directly (see neg_log_loss).
        default = self.scoring in (None, "neg_log_loss")
        scores, self.n_iter_, self.coef_path_, self.intercept_path_ = (
            cross_validate_paths(
                [self._template(l1_ratio) for l1_ratio in l1_ratios],
                data,
                splits,
                self.alphas_,
                self.screening,
                None if default else self._get_scorer(),
                routed.scorer.score,
                self.n_jobs,
            )
        )
        self.cv_results_ = cv_results(scores, self.alphas_, l1_ratios, self.n_iter_)
        mean, _, sem = fold_statistics(scores)
        i_l1, i_alpha = select(mean, sem, self.alphas_, self.selection)
        self.alpha_ = float(self.alphas_[i_l1, i_alpha])
        self.l1_ratio_ = float(l1_ratios[i_l1])
        self.best_index_ = i_l1 * self.alphas_.shape[1] + i_alpha
        self.best_score_ = float(mean[i_l1, i_alpha])
        if self.refit:
            self.estimator_ = refit_from_paths(
                self._template(self.l1_ratio_),
                data,
                self.alpha_,
                self.coef_path_[i_l1, ..., i_alpha],
                self.intercept_path_[i_l1, ..., i_alpha],
            )
            self.coef_ = self.estimator_.coef_
            self.intercept_ = self.estimator_.intercept_
        return self

    def _grid(self, data, l1_ratio):
        """Return the penalties of one l1_ratio: the default grid or `alphas`."""
        if isinstance(self.alphas, Integral):
            return alpha_grid(data, l1_ratio, self.alphas, self.eps)
        return check_alphas(self.alphas)

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        Returns
        -------
        routing : MetadataRouter
            Its own ``fit`` request (`sample_weight`), the splitter's
            (``groups``) and the scorer's.
        """
        return (
            MetadataRouter(owner=type(self).__name__)
            .add_self_request(self)
            .add(
                splitter=check_cv(self.cv),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
            .add(
                scorer=self._get_scorer(),
                method_mapping=MethodMapping()
                .add(caller="fit", callee="score")
                .add(caller="score", callee="score"),
            )
        )
