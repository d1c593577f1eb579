"""numpydoc validation of every public object's docstring.

The checks are numpydoc's, minus the ones scikit-learn's own docstring test
also leaves out: an extended summary (ES01) and a See Also section (SA01) are
optional, and a Returns entry may name its value (RT02: ``self : object``).
Methods may rely on the class's Examples (EX01). Methods inherited from
scikit-learn are scikit-learn's to document.
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
            for attr in vars(obj):  # defined here, not inherited
                if attr.startswith("_") or not callable(getattr(obj, attr)):
                    continue
                yield f"sk_softmax.{name}.{attr}", OPTIONAL | {"EX01"}


OBJECTS = list(public_objects())


def test_every_public_name_is_checked():
    checked = {name.rsplit(".", 1)[-1] for name, _ in OBJECTS}
    assert {"SoftmaxClassifier", "softmax", "fit", "partial_fit"} <= checked


@pytest.mark.parametrize("name, optional", OBJECTS, ids=[n for n, _ in OBJECTS])
def test_docstring_is_valid(name, optional):
    result = validate(name)
    errors = [
        (code, message) for code, message in result["errors"] if code not in optional
    ]
    assert not errors, "\n".join(f"{code}: {message}" for code, message in errors)
