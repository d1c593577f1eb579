"""scikit-learn's estimator checks, on one instance per solver.

SoftmaxClassifierCV accepts the full-batch solvers; its default instance runs
here, the others (marked slow) below. Its two sample-weight equivalence checks
hold to the solver tolerance only (the weighted and the repeated data stop at
different iterations): ``test_classifier_cv.py`` runs them at ``tol=1e-10``.
"""

import pytest
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    parametrize_with_checks,
)

from sk_softmax import SoftmaxClassifier, SoftmaxClassifierCV
from sk_softmax.utils._sklearn_compat import array_api_unavailable

SOLVERS = ["auto", "gd", "lbfgs", "newton-cg", "prox-newton", "sgd", "adam"]
ESTIMATORS = [SoftmaxClassifier(solver=solver) for solver in SOLVERS]
# prox-newton with an L1 part: its working sets then matter.
ESTIMATORS.append(SoftmaxClassifier(solver="prox-newton", alpha=0.01, l1_ratio=0.5))
SOLVERS.append("prox-newton-enet")


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    name = getattr(check, "func", check).__name__
    if name == "check_array_api_input" and array_api_unavailable():
        # Later scikit-learn releases skip these checks themselves; 1.6 fails.
        pytest.skip(f"no array API dispatch here: {array_api_unavailable()}")
    namespace = getattr(check, "keywords", {}).get("array_namespace", "numpy")
    if estimator.solver == "prox-newton" and namespace != "numpy":
        # It slices the columns of X in memory: other namespaces are refused
        # with the solvers that run on them.
        with pytest.raises(ValueError, match="needs the data in memory"):
            check(estimator)
        return
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=SOLVERS)
def test_dataframe_column_names_consistency(estimator):
    pytest.importorskip("pandas")
    check_dataframe_column_names_consistency("SoftmaxClassifier", estimator)


CV_EXPECTED_FAILURES = {
    check: "equivalent to the solver tolerance; test_classifier_cv.py checks it at "
    "tol=1e-10"
    for check in (
        "check_sample_weight_equivalence_on_dense_data",
        "check_sample_weight_equivalence_on_sparse_data",
    )
}


def _cv_expected_failures(estimator):
    return CV_EXPECTED_FAILURES


@parametrize_with_checks(
    [SoftmaxClassifierCV(alphas=3, cv=3)],
    expected_failed_checks=_cv_expected_failures,
)
def test_sklearn_compatible_cv_estimator(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(
    [
        SoftmaxClassifierCV(alphas=3, cv=3, solver="lbfgs"),
        SoftmaxClassifierCV(alphas=3, cv=3, solver="newton-cg"),
        SoftmaxClassifierCV(alphas=3, cv=3, solver="gd", l1_ratios=[0.5], max_iter=200),
    ],
    expected_failed_checks=_cv_expected_failures,
)
def test_sklearn_compatible_cv_estimator_every_solver(estimator, check):
    check(estimator)
