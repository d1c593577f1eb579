"""Saving and loading fitted models: pickle, joblib and skops.

A fitted :class:`~sk_softmax.SoftmaxClassifier` is plain Python and numpy
state: the fitted attributes plus, after a stochastic solver or
``partial_fit``, the solver's state (momentum or Adam moments, learning-rate
schedule, shuffling seed, class totals), so that ``partial_fit`` resumes
exactly where training stopped. ``pickle`` and ``joblib`` round trips are
bit-for-bit: the same coefficients, the same predictions, the same later
``partial_fit`` steps. Unpickling runs arbitrary code, though: load only
pickles you trust.

`skops <https://skops.readthedocs.io>`_ is the secure format: ``skops.io.load``
builds only types it is told to trust. Besides numpy, scipy and
scikit-learn's own types, which skops trusts by default, a fitted model holds
exactly the sk_softmax types of :data:`TRUSTED_TYPES`; :func:`load_skops`
trusts those and nothing else, so it loads a ``SoftmaxClassifier`` -- alone or
inside a scikit-learn ``Pipeline`` -- without a blanket ``trusted=`` list.
Save with ``skops.io.dump(model, path)``.

Pickles and skops files name the classes by their module paths; load them with
the sk_softmax version that saved them.
"""

__all__ = ["TRUSTED_TYPES", "load_skops"]

#: The fully qualified names of the sk_softmax types a fitted model holds: the
#: estimator and the state its stochastic solvers keep between calls. A tuple,
#: so that no code can widen it by accident; extend it with
#: ``[*TRUSTED_TYPES, ...]``.
TRUSTED_TYPES = (
    "sk_softmax._classifier.SoftmaxClassifier",
    "sk_softmax._stochastic_fit.StochasticState",
)


def load_skops(file, *, extra_trusted=None):
    """Load a model saved with ``skops.io.dump``, trusting sk_softmax's types.

    The secure counterpart of ``pickle.load``: skops builds only the types it
    trusts -- its defaults (numpy, scipy, scikit-learn) plus
    :data:`TRUSTED_TYPES` plus `extra_trusted` -- and refuses any other.

    Parameters
    ----------
    file : str, path-like or binary file object
        The skops file, as accepted by ``skops.io.load``.
    extra_trusted : list of str or type, default=None
        More types to trust, for objects saved along with the model: for
        example ``["sklearn.callback._progressbar.ProgressBar"]`` for a model
        with callbacks set by ``set_callbacks``. Check what a file holds with
        ``skops.io.get_untrusted_types(file=...)`` before trusting it.

    Returns
    -------
    model : object
        The saved object, a :class:`~sk_softmax.SoftmaxClassifier` or an
        estimator holding one.

    Raises
    ------
    ImportError
        If skops is not installed.
    skops.io.exceptions.UntrustedTypesFoundException
        If the file holds a type that is not trusted.

    Examples
    --------
    The first lines skip the example where skops is not installed.

    >>> import pytest
    >>> skops_io = pytest.importorskip("skops.io")
    >>> import io
    >>> from sklearn.datasets import load_iris
    >>> from sk_softmax import SoftmaxClassifier
    >>> from sk_softmax import load_skops
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxClassifier(solver="adam", random_state=0)
    >>> clf = clf.partial_fit(X, y, classes=[0, 1, 2])
    >>> buffer = io.BytesIO()
    >>> skops_io.dump(clf, buffer)
    >>> loaded = load_skops(buffer)
    >>> bool((loaded.coef_ == clf.coef_).all())
    True
    >>> loaded = loaded.partial_fit(X, y)  # resumes Adam's moments exactly
    """
    try:
        import skops.io
    except ImportError as exc:
        raise ImportError(
            "load_skops needs the optional dependency skops: install the "
            '"skops" extra with `pip install ".[skops]"` in a checkout of '
            "sk_softmax, as its README does, or `pip install skops`."
        ) from exc
    trusted = [*TRUSTED_TYPES, *(extra_trusted or ())]
    return skops.io.load(file, trusted=trusted)
