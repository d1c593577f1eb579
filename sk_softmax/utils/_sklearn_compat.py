"""The only module that imports scikit-learn's private API.

Everything sk_softmax needs from scikit-learn beyond its public API is imported
here, so that a change in a scikit-learn release touches one file.
"""

import inspect

from sklearn.base import _fit_context
from sklearn.utils._array_api import (
    _expit,
    _is_numpy_namespace,
    check_same_namespace,
    get_namespace,
    get_namespace_and_device,
    move_to,
)
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import _check_sample_weight as _sklearn_sample_weight

# Releases that refuse all-zero weights also have the switch to allow them.
_CAN_ALLOW_ZERO = (
    "allow_all_zero_weights" in inspect.signature(_sklearn_sample_weight).parameters
)


def _check_sample_weight(sample_weight, X, *, dtype, allow_all_zero=False):
    """scikit-learn's sample-weight validation, optionally accepting all zeros."""
    kwargs = (
        {"allow_all_zero_weights": True} if allow_all_zero and _CAN_ALLOW_ZERO else {}
    )
    return _sklearn_sample_weight(sample_weight, X, dtype=dtype, **kwargs)


try:  # scikit-learn >= 1.9: the (experimental) callback API
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # pragma: no cover - exercised by a test that hides the module

    class _SilentContext:
        """Stands in for a callback context where there are no callbacks."""

        def subcontext(self, *args, **kwargs):
            return self

        def call_on_fit_task_begin(self, **kwargs):
            return self

        def call_on_fit_task_end(self, **kwargs):
            return False

    class CallbackSupportMixin:
        """No callback API: no ``set_callbacks``, and silent contexts."""

        def _init_callback_context(self, *args, **kwargs):
            return _SilentContext()


__all__ = [
    "CallbackSupportMixin",
    "Interval",
    "StrOptions",
    "_check_sample_weight",
    "_expit",
    "_fit_context",
    "_is_numpy_namespace",
    "check_same_namespace",
    "get_namespace",
    "get_namespace_and_device",
    "move_to",
    "validate_params",
]
