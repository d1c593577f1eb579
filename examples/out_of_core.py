"""
Training on data that do not fit in memory
==========================================

Three ways to train ``SoftmaxClassifier`` on data larger than memory:

1. stream a CSV file with ``pandas.read_csv(..., chunksize=...)`` into
   ``partial_fit``, one chunk at a time: one chunk in memory at a time;
2. do the same over the blocks of a dask array: one block at a time;
3. ``fit`` the dask array directly: the full-batch solvers reduce the objective
   over the chunks and reach the exact optimum. On a ``dask.distributed``
   cluster the blocks stay on the workers that hold them; without a client,
   as in this example, ``fit`` computes every block into this process, so the
   data must then fit in its memory once (as numpy arrays).

The features are standardised first, with ``StandardScaler.partial_fit`` over
one pass of the stream; stochastic steps need features of similar scale.
"""

# %%
import shutil
import tempfile
from pathlib import Path

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier

CHUNK = 5_000
X, y = make_classification(
    n_samples=40_000,
    n_features=20,
    n_informative=12,
    n_classes=5,
    n_clusters_per_class=1,
    random_state=0,
)
X_test, y_test = X[-5_000:], y[-5_000:]
folder = Path(tempfile.mkdtemp())
path = folder / "train.csv"
columns = [f"x{j}" for j in range(X.shape[1])]
frame = pd.DataFrame(X[:-5_000], columns=columns).assign(label=y[:-5_000])
frame.to_csv(path, index=False)
print(f"{path.stat().st_size / 1e6:.1f} MB of training data in {path.name}")


def stream():
    """The training file, chunk by chunk: features and labels."""
    for chunk in pd.read_csv(path, chunksize=CHUNK):
        yield chunk[columns], chunk["label"].to_numpy()


# %%
# 1. pandas chunks into partial_fit
# ---------------------------------
# ``classes`` must list every label on the first call: the model's columns are
# fixed from the start. One pass fits the scaler, then each epoch is one pass.
classes = np.arange(5)
scaler = StandardScaler()
for X_chunk, _ in stream():
    scaler.partial_fit(X_chunk)

online = SoftmaxClassifier(solver="sgd", random_state=0)
for epoch in range(3):
    for X_chunk, y_chunk in stream():
        online.partial_fit(scaler.transform(X_chunk), y_chunk, classes=classes)
    proba = online.predict_proba(
        scaler.transform(pd.DataFrame(X_test, columns=columns))
    )
    print(f"epoch {epoch + 1}: held-out log-loss {log_loss(y_test, proba):.4f}")

# %%
# 2. dask blocks into partial_fit
# -------------------------------
# A dask array reads its blocks lazily; ``.compute()`` brings one block into
# memory at a time.
table = dd.read_csv(path, blocksize=256_000)
X_dask = table[columns].to_dask_array(lengths=True)
y_dask = table["label"].to_dask_array(lengths=True)
X_scaled = (X_dask - scaler.mean_) / scaler.scale_

# Three epochs of 35,000 rows are a short stream for Adam's default rate
# (0.001, made for long streams): 0.01 gets further in so few steps.
blocks = SoftmaxClassifier(solver="adam", learning_rate_init=0.01, random_state=0)
for _ in range(3):  # epochs
    for i in range(X_scaled.numblocks[0]):
        X_block, y_block = da.compute(X_scaled.blocks[i], y_dask.blocks[i])
        blocks.partial_fit(X_block, y_block, classes=classes)
X_test_scaled = scaler.transform(pd.DataFrame(X_test, columns=columns))
print(
    f"dask blocks, {X_scaled.numblocks[0]} per epoch: held-out log-loss "
    f"{log_loss(y_test, blocks.predict_proba(X_test_scaled)):.4f}"
)

# %%
# 3. fit on the dask array itself
# -------------------------------
# With a full-batch solver the objective, its gradient and Hessian-vector
# products are reduced over the chunks; predictions on dask input stay lazy.
# With a ``dask.distributed`` client running (``Client(...)``), each worker
# builds the loss of the blocks it holds and only coefficients and gradients
# travel. No client runs here, so ``fit`` first computes every block into this
# process: this third way keeps the data out of memory only on a cluster.
exact = SoftmaxClassifier(tol=1e-6).fit(X_scaled, y_dask)
lazy_proba = exact.predict_proba(X_scaled)
print(f"fit on dask: {exact.n_iter_} iterations, converged={exact.converged_}")
print(f"lazy predict_proba: {type(lazy_proba).__name__} of shape {lazy_proba.shape}")
optimum = log_loss(y_test, exact.predict_proba(X_test_scaled))
print(f"held-out log-loss at the optimum {optimum:.4f}")

shutil.rmtree(folder)
