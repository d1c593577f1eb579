"""The out-of-core patterns of the README and ``examples/out_of_core.py``.

Streaming chunks from a CSV file or from the blocks of a dask array into
``partial_fit`` trains exactly the model that the same chunks give from memory.
"""

import pandas as pd
import pytest
from sklearn.datasets import make_classification

from sk_softmax import SoftmaxClassifier

da = pytest.importorskip("dask.array")


def data():
    X, y = make_classification(
        n_samples=1200, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return X, y


def train_in_memory(X, y, bounds, solver):
    model = SoftmaxClassifier(solver=solver, random_state=0)
    for _ in range(2):
        for start, stop in bounds:
            model.partial_fit(X[start:stop], y[start:stop], classes=[0, 1, 2])
    return model


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_csv_chunks_train_the_in_memory_model(tmp_path, solver):
    X, y = data()
    columns = [f"x{j}" for j in range(6)]
    path = tmp_path / "train.csv"
    pd.DataFrame(X, columns=columns).assign(label=y).to_csv(path, index=False)
    model = SoftmaxClassifier(solver=solver, random_state=0)
    for _ in range(2):
        # round_trip: the floats read back are the ones written, whatever
        # pandas's default parser.
        for chunk in pd.read_csv(path, chunksize=250, float_precision="round_trip"):
            model.partial_fit(
                chunk[columns].to_numpy(), chunk["label"].to_numpy(), classes=[0, 1, 2]
            )
    bounds = [(start, min(start + 250, 1200)) for start in range(0, 1200, 250)]
    reference = train_in_memory(X, y, bounds, solver)
    assert model.n_iter_ == 10
    assert model.coef_.tobytes() == reference.coef_.tobytes()


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_dask_blocks_train_the_in_memory_model(solver):
    X, y = data()
    X_dask = da.from_array(X, chunks=(300, 6))
    y_dask = da.from_array(y, chunks=300)
    model = SoftmaxClassifier(solver=solver, random_state=0)
    for _ in range(2):
        for i in range(X_dask.numblocks[0]):
            X_block, y_block = da.compute(X_dask.blocks[i], y_dask.blocks[i])
            model.partial_fit(X_block, y_block, classes=[0, 1, 2])
    bounds = [(start, start + 300) for start in range(0, 1200, 300)]
    reference = train_in_memory(X, y, bounds, solver)
    assert model.coef_.tobytes() == reference.coef_.tobytes()
