"""The only module that imports scikit-learn's private API.

Everything sk_softmax needs from scikit-learn beyond its public API is imported
here, so that a change in a scikit-learn release touches one file.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight

__all__ = ["Interval", "StrOptions", "_check_sample_weight", "_fit_context"]
