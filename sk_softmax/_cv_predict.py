"""The methods of SoftmaxClassifierCV that use its refitted model."""

from typing import ClassVar

import numpy as np
from sklearn.utils import metadata_routing
from sklearn.utils.metadata_routing import (
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data


class RefittedModelMixin:
    """Predictions and score of the model refitted at the chosen penalty.

    The host class has a `refit` parameter, an ``estimator_`` attribute once
    fitted with it, and a ``_get_scorer`` method. Every method exists only
    with ``refit=True``.
    """

    # score hands sample_weight to the scorer; it does not consume it itself.
    __metadata_request__score: ClassVar[dict] = {
        "sample_weight": metadata_routing.UNUSED
    }

    def _refitted(self):
        """Return whether the refitted model's methods exist (`refit` is True)."""
        return self.refit

    def _validated(self, X):
        """Check `X` against the fitted data (number and names of features)."""
        check_is_fitted(self, "estimator_")
        return validate_data(
            self, X, reset=False, accept_sparse="csr", dtype=[np.float64, np.float32]
        )

    @available_if(_refitted)
    def decision_function(self, X):
        """Compute the logits of the refitted model, ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            As :meth:`SoftmaxClassifier.decision_function`.
        """
        X = self._validated(X)
        return self.estimator_.decision_function(X)

    @available_if(_refitted)
    def predict(self, X):
        """Predict class labels with the refitted model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The label of the largest logit.
        """
        X = self._validated(X)
        return self.estimator_.predict(X)

    @available_if(_refitted)
    def predict_proba(self, X):
        """Compute class probabilities with the refitted model: SoftMax of the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of `classes_`.
        """
        X = self._validated(X)
        return self.estimator_.predict_proba(X)

    @available_if(_refitted)
    def predict_log_proba(self, X):
        """Compute log-probabilities with the refitted model, by log-softmax.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of `classes_`.
        """
        X = self._validated(X)
        return self.estimator_.predict_log_proba(X)

    @available_if(_refitted)
    def score(self, X, y, sample_weight=None, **score_params):
        """Return the score of the refitted model on `X`, `y` with `scoring`.

        Unlike ``ClassifierMixin.score`` (accuracy), this uses the scorer the
        cross-validation maximised (the negative log-loss by default), as
        GridSearchCV does.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, for the scorer.
        **score_params : dict
            With metadata routing enabled, metadata the scorer requests.

        Returns
        -------
        score : float
            The score; higher is better.
        """
        _raise_for_params(score_params, self, "score")
        if _routing_enabled():
            routed = process_routing(
                self, "score", sample_weight=sample_weight, **score_params
            )
            kwargs = routed.scorer.score
        else:
            kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        return self._get_scorer()(self, X, y, **kwargs)
