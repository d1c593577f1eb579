"""The only module that imports scikit-learn's private API.

Everything sk_softmax needs from scikit-learn beyond its public API is imported
here, so that a change in a scikit-learn release touches one file. It is also
the one place that bridges the differences between the supported releases
(scikit-learn 1.6 and later, see ``ci/min-requirements.txt``):

- ``move_to`` and ``check_same_namespace``, which scikit-learn 1.6 lacks, have stand-ins
  below for older releases, enough for numpy, sparse and array API inputs;
- array API inputs need what scikit-learn's dispatch needs (scipy 1.14 or
  later, above sk_softmax's own minimum): :func:`array_api_unavailable` says
  whether this environment has it;
- the callback API (``sklearn.callback``, scikit-learn 1.9) is optional: without
  it the estimator has no ``set_callbacks`` and reports to nobody;
- ``allow_all_zero_weights`` of the sample-weight check is used where it exists.
"""

import inspect

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.base import _fit_context
from sklearn.utils._array_api import (
    _check_array_api_dispatch,
    _convert_to_numpy,
    _expit,
    _is_numpy_namespace,
    get_namespace,
    get_namespace_and_device,
)
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import _check_sample_weight as _sklearn_sample_weight


def _move_to_standin(*arrays, xp, device):
    """Return `arrays` in namespace `xp` on `device` (None stays None).

    The stand-in for scikit-learn's ``move_to`` where it is missing: sparse
    matrices pass through to numpy; anything else goes through numpy when its
    namespace or device differs from the target's.
    """
    moved = tuple(_move_one(a, xp, device) for a in arrays)
    return moved[0] if len(moved) == 1 else moved


def _move_one(array, xp, device):
    if array is None or (sp.issparse(array) and _is_numpy_namespace(xp)):
        return array
    xp_array, _, device_array = get_namespace_and_device(array)
    if xp_array == xp and device_array == device:
        return array
    if _is_numpy_namespace(xp_array):
        host = np.asarray(array)
    else:
        host = _convert_to_numpy(array, xp_array)
    return host if _is_numpy_namespace(xp) else xp.asarray(host, device=device)


def _check_same_namespace_standin(X, estimator, *, attribute, method):
    """Raise a ValueError when `X` is not in the namespace and device of fit.

    The stand-in for scikit-learn's ``check_same_namespace`` where it is missing.
    """
    if not get_config()["array_api_dispatch"]:
        return
    a_xp, _, a_device = get_namespace_and_device(getattr(estimator, attribute))
    X_xp, _, X_device = get_namespace_and_device(X)
    both_numpy = _is_numpy_namespace(a_xp) and _is_numpy_namespace(X_xp)
    if both_numpy or (X_xp == a_xp and X_device == a_device):
        return
    raise ValueError(
        f"Inputs passed to {type(estimator).__name__}.{method}() must use the "
        "same namespace and the same device as those passed to fit(): fit "
        f"used {a_xp.__name__} on {a_device}, {method} got "
        f"{X_xp.__name__} on {X_device}."
    )


try:  # the releases that have them
    from sklearn.utils._array_api import check_same_namespace, move_to
except ImportError:  # scikit-learn 1.6, and any other without them
    check_same_namespace = _check_same_namespace_standin
    move_to = _move_to_standin


def array_api_unavailable():
    """Return why scikit-learn cannot dispatch array API inputs here, or None.

    scikit-learn's array API support has requirements of its own (scipy 1.14 or
    later with ``SCIPY_ARRAY_API=1`` set, and array-api-compat before
    scikit-learn 1.7); sk_softmax's array API fits need them too.
    """
    try:
        _check_array_api_dispatch(True)
    except (ImportError, RuntimeError) as exc:
        return str(exc)
    return None


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
    "array_api_unavailable",
    "check_same_namespace",
    "get_namespace",
    "get_namespace_and_device",
    "move_to",
    "validate_params",
]
