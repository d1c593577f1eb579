"""scikit-learn's estimator checks, on one instance per solver."""

import pytest
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    parametrize_with_checks,
)

from sk_softmax import SoftmaxClassifier
from sk_softmax.utils._sklearn_compat import array_api_unavailable

SOLVERS = ["auto", "gd", "lbfgs", "newton-cg", "sgd", "adam"]
ESTIMATORS = [SoftmaxClassifier(solver=solver) for solver in SOLVERS]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    name = getattr(check, "func", check).__name__
    if name == "check_array_api_input" and array_api_unavailable():
        # Later scikit-learn releases skip these checks themselves; 1.6 fails.
        pytest.skip(f"no array API dispatch here: {array_api_unavailable()}")
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=SOLVERS)
def test_dataframe_column_names_consistency(estimator):
    pytest.importorskip("pandas")
    check_dataframe_column_names_consistency("SoftmaxClassifier", estimator)
