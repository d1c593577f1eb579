"""Dask fits that survive: workers killed, retired or added during ``fit``.

On a real LocalCluster of two single-threaded worker processes with nannies.
A worker is killed (SIGKILL, found by its pid) at an evaluation chosen by a
seeded generator, from a wrapper around the pool's round of actor calls; its
nanny restarts it. Every fit must reach the undisturbed numpy optimum to a
relative 1e-6 in the objective.
"""

import os
import signal
import threading

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler
from test_online import objective

from sk_softmax import SoftmaxClassifier
from sk_softmax._backends._dask_actors import ActorPool, ChunksLostError

pytestmark = pytest.mark.slow

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

FULL_BATCH = ["auto", "gd", "lbfgs", "newton-cg"]
# Set by coverage's subprocess measurement; a process started with them traces.
COVERAGE_VARIABLES = ("COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG")
PARAMS = {"alpha": 1e-3, "tol": 1e-8}


@pytest.fixture(scope="module")
def cluster():
    # Workers (and the ones nannies restart) run without a coverage tracer,
    # which slowed their restarts past the wait below in CI's covered run.
    with pytest.MonkeyPatch.context() as patch:
        for name in COVERAGE_VARIABLES:
            patch.delenv(name, raising=False)
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            yield cluster


@pytest.fixture
def client(cluster):
    with distributed.Client(cluster) as client:
        cluster.scale(2)
        client.wait_for_workers(2, timeout=120)
        yield client


def digits(n_classes=10):
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    keep = y < n_classes
    return X[keep], y[keep]


class Disturb:
    """Wrap ``ActorPool._call``: act on the workers from round `at` on.

    `action(client, pool)` runs in a thread started just before the round's
    calls are sent, so that it can strike while they are in flight. With
    ``every=True`` it acts on every later round too.
    """

    def __init__(self, monkeypatch, client, action, at, every=False):
        self.client, self.action, self.at, self.every = client, action, at, every
        self.rounds, self.pools, self.threads = 0, [], []
        original = ActorPool._call

        def call(pool, method, args):
            self.rounds += 1
            if self.rounds == at or (every and self.rounds > at):
                self.pools.append(pool)
                thread = threading.Thread(target=action, args=(client, pool))
                thread.start()
                self.threads.append(thread)
                if every:
                    thread.join()
            return original(pool, method, args)

        monkeypatch.setattr(ActorPool, "_call", call)

    def join(self):
        for thread in self.threads:
            thread.join()


def kill_a_holder(client, pool):
    """SIGKILL the process of a worker that holds one of the pool's actors."""
    holders = sorted({actor._address for actor in pool.chunks})
    pids = client.run(os.getpid, workers=holders)
    os.kill(pids[holders[0]], signal.SIGKILL)


def dask_inputs(X, y, container):
    if container == "array":
        return (
            da.from_array(X, chunks=(230, 64)).persist(),
            da.from_array(y, chunks=230).persist(),
        )
    frame = pd.DataFrame(X, columns=[f"pixel {j}" for j in range(64)])
    return dd.from_pandas(frame, npartitions=8), dd.from_pandas(pd.Series(y), 8)


@pytest.mark.parametrize("solver", FULL_BATCH)
@pytest.mark.parametrize("container", ["array", "dataframe"])
def test_a_killed_worker_is_survived(client, monkeypatch, capsys, solver, container):
    X, y = digits()
    reference = SoftmaxClassifier(solver=solver, **PARAMS).fit(X, y)
    rng = np.random.default_rng([FULL_BATCH.index(solver), len(container)])
    at = int(rng.integers(4, 12))  # after the set-up's two rounds
    disturb = Disturb(monkeypatch, client, kill_a_holder, at)
    model = SoftmaxClassifier(solver=solver, verbose=1, **PARAMS)
    model.fit(*dask_inputs(X, y, container))
    disturb.join()
    assert disturb.pools and disturb.pools[0].recoveries >= 1
    assert "[dask] worker lost during" in capsys.readouterr().out
    assert model.converged_
    assert objective(model, X, y) == pytest.approx(objective(reference, X, y), rel=1e-6)


def close_a_holder(client, pool):
    """Close, cleanly, a worker that holds one of the pool's actors, and its nanny.

    ``client.retire_workers`` would refuse: dask cannot move an actor, so it
    keeps a worker that holds one (and says so in its log).
    """
    holders = sorted({actor._address for actor in pool.chunks})

    async def close(dask_worker):
        await dask_worker.close(nanny=True)

    client.run(close, workers=[holders[0]], wait=False)


def add_a_worker(cluster):
    def action(client, pool):
        cluster.scale(3)
        client.wait_for_workers(3, timeout=60)

    return action


def _leave_or_join(client, monkeypatch, action):
    X, y = digits()
    solver = "newton-cg"
    reference = SoftmaxClassifier(solver=solver, **PARAMS).fit(X, y)
    disturb = Disturb(monkeypatch, client, action, at=5)
    model = SoftmaxClassifier(solver=solver, **PARAMS)
    model.fit(*dask_inputs(X, y, "array"))
    disturb.join()
    assert disturb.pools
    assert model.converged_
    assert objective(model, X, y) == pytest.approx(objective(reference, X, y), rel=1e-6)
    return disturb.pools[0]


def test_a_worker_joining_mid_fit_is_harmless(client, cluster, monkeypatch):
    _leave_or_join(client, monkeypatch, add_a_worker(cluster))
    assert len(client.scheduler_info()["workers"]) == 3


def test_a_worker_leaving_cleanly_is_survived(monkeypatch):
    # On a cluster of its own: the closed worker's nanny leaves with it.
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pool = _leave_or_join(client, monkeypatch, close_a_holder)
        assert pool.recoveries >= 1
        assert len(client.scheduler_info()["workers"]) == 1


def _block_once(marker, seed):
    """A block of digits-like data that can be computed only once."""
    if os.path.exists(marker):
        raise OSError(f"the source of block {seed} is gone")
    open(marker, "w").close()
    rng = np.random.default_rng(seed)
    return rng.normal(size=(100, 5))


def test_a_source_that_cannot_be_recomputed_gives_one_clear_error(
    client, monkeypatch, tmp_path
):
    X_blocks = [
        da.from_delayed(
            dask.delayed(_block_once)(str(tmp_path / f"block{i}"), i),
            shape=(100, 5),
            dtype=float,
        )
        for i in range(4)
    ]
    X_dask = da.concatenate(X_blocks)
    y = np.arange(400) % 3
    X_np = np.concatenate(
        [np.random.default_rng(i).normal(size=(100, 5)) for i in range(4)]
    )
    model = SoftmaxClassifier(alpha=1e-2).fit(X_np, y)
    before = model.coef_.tobytes(), model.intercept_.tobytes(), model.n_iter_
    disturb = Disturb(monkeypatch, client, kill_a_holder, at=4)
    with pytest.raises(
        ChunksLostError, match=r"dask chunks (\d \(rows \d+-\d+\)(, )?)+ were lost"
    ) as info:
        model.fit(X_dask, da.from_array(y, chunks=100))
    disturb.join()
    assert "the source of block" in str(info.value)
    assert "The model is unchanged" in str(info.value)
    assert (model.coef_.tobytes(), model.intercept_.tobytes(), model.n_iter_) == before


def test_the_retry_limit_stops_a_fit_that_keeps_losing_workers(client, monkeypatch):
    X, y = digits(n_classes=3)
    model = SoftmaxClassifier(solver="lbfgs", **PARAMS).fit(X, y)
    before = model.coef_.tobytes()
    Disturb(monkeypatch, client, kill_a_holder, at=4, every=True)
    with (
        dask.config.set({"sk_softmax.retries": 1}),
        pytest.raises(ChunksLostError, match="Gave up after 1 recoveries"),
    ):
        model.fit(*dask_inputs(X, y, "array"))
    assert model.coef_.tobytes() == before
