"""Saving a fitted Pipeline for MLflow (``mlflow.sklearn``, skops format).

mlflow is not a test extra (it brings many packages): these tests skip without
it. ``pip install mlflow-skinny`` is enough to run them.
"""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_softmax import TRUSTED_TYPES, SoftmaxClassifier

mlflow = pytest.importorskip("mlflow", reason="mlflow is not installed")
pytest.importorskip("skops", reason="mlflow.sklearn stores models with skops")
mlflow_sklearn = pytest.importorskip("mlflow.sklearn")
mlflow_pyfunc = pytest.importorskip("mlflow.pyfunc")
MlflowException = pytest.importorskip("mlflow.exceptions").MlflowException

pytestmark = pytest.mark.slow  # importing skops and mlflow takes seconds


@pytest.fixture(scope="module")
def pipeline():
    X, y = load_iris(return_X_y=True)
    return make_pipeline(StandardScaler(), SoftmaxClassifier()).fit(X, y), X


def _save(model, path, **kwargs):
    # Naming the requirements skips mlflow's slow inference of them.
    mlflow_sklearn.save_model(
        model, str(path), pip_requirements=["sk_softmax"], **kwargs
    )


def test_pipeline_round_trips_through_mlflow(pipeline, tmp_path):
    pipe, X = pipeline
    _save(pipe, tmp_path / "model", skops_trusted_types=list(TRUSTED_TYPES))
    loaded = mlflow_pyfunc.load_model(str(tmp_path / "model"))
    assert np.array_equal(loaded.predict(X), pipe.predict(X))
    native = mlflow_sklearn.load_model(str(tmp_path / "model"))
    assert np.array_equal(native.predict_proba(X), pipe.predict_proba(X))


def test_probabilities_as_the_pyfunc_output(pipeline, tmp_path):
    pipe, X = pipeline
    _save(
        pipe,
        tmp_path / "proba",
        skops_trusted_types=list(TRUSTED_TYPES),
        pyfunc_predict_fn="predict_proba",
    )
    loaded = mlflow_pyfunc.load_model(str(tmp_path / "proba"))
    assert np.array_equal(np.asarray(loaded.predict(X)), pipe.predict_proba(X))


def test_without_trusted_types_mlflow_refuses_the_model(pipeline, tmp_path):
    pipe, _ = pipeline
    with pytest.raises(MlflowException, match="skops_trusted_types"):
        _save(pipe, tmp_path / "untrusted")
