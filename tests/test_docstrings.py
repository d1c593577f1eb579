"""numpydoc validation of every public object's docstring.

The checks are numpydoc's, minus the ones scikit-learn's own docstring test
also leaves out: an extended summary (ES01) and a See Also section (SA01) are
optional, and a Returns entry may name its value (RT02: ``self : object``).
Methods may rely on the class's Examples (EX01). Methods inherited from
scikit-learn are scikit-learn's to document; those from sk_softmax's own base
classes are checked with the class.
"""

import inspect

import pytest

import sk_softmax

pytest.importorskip("numpydoc")
from numpydoc.validate import validate

OPTIONAL = {"ES01", "SA01", "RT02"}


def public_objects():
    for name in sk_softmax.__all__:
        obj = getattr(sk_softmax, name)
        if name.startswith("__") or not callable(obj):  # constants: documented
            continue  # in the module docstring and the API reference
        yield f"sk_softmax.{name}", OPTIONAL
        if inspect.isclass(obj):
            for attr in _own_methods(obj):
                yield f"sk_softmax.{name}.{attr}", OPTIONAL | {"EX01"}


def _own_methods(cls):
    """Public methods defined by `cls` or by its sk_softmax base classes."""
    names = []
    for klass in cls.__mro__:
        if not klass.__module__.startswith("sk_softmax"):
            continue  # scikit-learn's (or Python's) to document
        for attr in vars(klass):
            if attr.startswith("_") or attr in names:
                continue
            if callable(getattr(cls, attr, None)):
                names.append(attr)
    return names


OBJECTS = list(public_objects())


def test_every_public_name_is_checked():
    checked = {name.rsplit(".", 1)[-1] for name, _ in OBJECTS}
    assert {"SoftmaxClassifier", "softmax", "fit", "partial_fit"} <= checked
    # The new names of the regularisation path, and methods from a base class.
    assert {
        "softmax_path",
        "SoftmaxClassifierCV",
        "RegularizationPathDisplay",
        "from_path",
    } <= checked
    assert "sk_softmax.SoftmaxClassifierCV.predict_proba" in dict(OBJECTS)


@pytest.mark.parametrize("name, optional", OBJECTS, ids=[n for n, _ in OBJECTS])
def test_docstring_is_valid(name, optional):
    result = validate(name)
    errors = [
        (code, message) for code, message in result["errors"] if code not in optional
    ]
    assert not errors, "\n".join(f"{code}: {message}" for code, message in errors)
