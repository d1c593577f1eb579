"""Data larger than the cluster's memory: the streamed mode.

A one-worker cluster with a 350 MiB memory limit (about 210 MiB of which the
imported libraries take) fits 770 MB of float64 data read lazily from ``.npy``
files: twice the cluster's memory. Spilling to disk is off, as the scale-out
guide advises for the streamed mode (every block is used once and dropped). The
worker must not be restarted (its nanny kills it at 95% of its limit), its peak
resident memory stays under the limit, and the fit reaches the optimum of the
numpy fit of the same data. One worker rather than two: the same bytes per
worker, half the data to write and to fit in memory for the reference.
"""

import os

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from sk_softmax import SoftmaxClassifier
from sk_softmax._backends._dask_stream import StreamPool
from sk_softmax._objective import LinearSoftmaxLoss
from sk_softmax._penalty import ElasticNet

pytestmark = pytest.mark.slow

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

LIMIT = 350 * 2**20
N_BLOCKS, ROWS, FEATURES, CLASSES = 88, 11_000, 100, 3
PARAMS = {"solver": "lbfgs", "alpha": 0.1, "tol": 1e-6}
# No spilling, and no pausing: a paused worker whose resident memory stays
# above the pause threshold after it has freed its blocks (the allocator need
# not give freed pages back) never runs another task, and the fit hangs. The
# nanny still kills a worker at 95% of the limit, which the test would see as a
# restart.
NO_SPILL = {
    "distributed.worker.memory.spill": False,
    "distributed.worker.memory.target": False,
    "distributed.worker.memory.pause": False,
}


def write_blocks(directory):
    """Draw the blocks from a softmax model and write them as .npy files."""
    rng = np.random.default_rng(0)
    W = rng.normal(size=(CLASSES, FEATURES))
    paths = []
    for i in range(N_BLOCKS):
        X = rng.standard_normal((ROWS, FEATURES))
        logits = X @ W.T
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        cumulative = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        y = (rng.random((ROWS, 1)) > cumulative).sum(axis=1)
        path_X, path_y = directory / f"X{i}.npy", directory / f"y{i}.npy"
        np.save(path_X, X)
        np.save(path_y, y.astype(np.int8))
        paths.append((path_X, path_y))
    return paths


def lazy(paths):
    load = dask.delayed(np.load, pure=True)
    X = da.concatenate(
        [da.from_delayed(load(str(p)), (ROWS, FEATURES), np.float64) for p, _ in paths]
    )
    y = da.concatenate(
        [da.from_delayed(load(str(p)), (ROWS,), np.int8) for _, p in paths]
    )
    return X, y


def _peak_rss():
    """Peak resident memory of this process's own image, in bytes.

    ``VmHWM``, not ``getrusage``'s ``ru_maxrss``: a worker is started by fork
    and exec from the test process, and Linux carries the parent's peak into
    the child's ``ru_maxrss`` across the exec.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def objective(model, X, y):
    loss = LinearSoftmaxLoss(
        X, y, CLASSES, penalty=ElasticNet(model.alpha, model.l1_ratio)
    )
    return loss.value(loss.pack(model.coef_, model.intercept_))


@pytest.mark.skipif(
    not os.path.exists("/proc/self/status"), reason="reads VmHWM from /proc (Linux)"
)
def test_data_twice_the_cluster_memory_fit_streamed(tmp_path, monkeypatch):
    paths = write_blocks(tmp_path)
    streamed = []
    original = StreamPool.map_each

    def map_each(pool, method, args):
        streamed.append(method)
        return original(pool, method, args)

    monkeypatch.setattr(StreamPool, "map_each", map_each)
    # The worker runs without coverage's tracer (CI's covered run starts one in
    # every subprocess): its data would count against the memory limit.
    for name in ("COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    try:
        with (
            dask.config.set(NO_SPILL),
            distributed.LocalCluster(
                n_workers=1,
                threads_per_worker=1,
                processes=True,
                memory_limit=LIMIT,
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            X_dask, y_dask = lazy(paths)
            assert X_dask.nbytes >= 2 * LIMIT
            pids = client.run(os.getpid)
            model = SoftmaxClassifier(**PARAMS).fit(X_dask, y_dask)
            assert client.run(os.getpid) == pids  # no worker was restarted
            peaks = client.run(_peak_rss)
        assert "value_gradient" in streamed
        assert max(peaks.values()) < 0.95 * LIMIT, peaks
        X = np.concatenate([np.load(p) for p, _ in paths])
        y = np.concatenate([np.load(p) for _, p in paths])
    finally:
        for pair in paths:
            for path in pair:
                path.unlink()
    with threadpool_limits(1):  # two BLAS threads crawl on a shared machine
        reference = SoftmaxClassifier(**PARAMS).fit(X, y)
    assert model.converged_
    assert objective(model, X, y) == pytest.approx(objective(reference, X, y), rel=1e-6)
