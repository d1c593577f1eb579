"""Where a dask fit's chunk losses live: this process, pinned actors, or streamed.

Without a distributed client every block is computed into this process and
one :class:`~sk_softmax._backends._dask_chunks.ChunkLoss` holds them. With a
client, the memory mode decides (dask config key ``sk_softmax.memory``):

- ``'pinned'``: one actor per worker keeps its blocks' losses in memory
  (:class:`~sk_softmax._backends._dask_actors.ActorPool`, rebuilt when a worker
  is lost); an evaluation is one call per worker.
- ``'streamed'``: every evaluation computes or reads the blocks again as dask
  tasks (:class:`~sk_softmax._backends._dask_stream.StreamPool`); nothing
  stays in memory, for data larger than the cluster's.
- ``'auto'`` (the default): pinned when the collection is persisted or takes
  at most half the workers' total memory limit, streamed otherwise.

``sk_softmax.retries`` (default 3) bounds the recoveries of one evaluation.
"""

from sk_softmax._backends._dask_actors import ActorPool, place_actor, row_bounds
from sk_softmax._backends._dask_chunks import ChunkLoss
from sk_softmax._backends._dask_stream import StreamPool
from sk_softmax._backends._remote import ChunkPool

MODES = ("auto", "pinned", "streamed")

# dask's names of its in-process schedulers: with one of them configured,
# the chunks stay in this process even when a distributed client exists.
_LOCAL_SCHEDULERS = {"sync", "synchronous", "single-threaded", "threads", "threading"}


def _client():
    """Return the distributed client the chunks go to, or None for in-process.

    None without ``distributed``, without a client, or when dask is configured
    to an in-process scheduler (``dask.config.set(scheduler="synchronous")``).
    """
    try:
        import dask
        from distributed import get_client
    except ImportError:
        return None
    if dask.config.get("scheduler", None) in _LOCAL_SCHEDULERS:
        return None
    try:
        return get_client()
    except ValueError:
        return None


def memory_mode(client, arrays):
    """Return ``'pinned'`` or ``'streamed'`` for dask `arrays` (X first).

    Reads ``sk_softmax.memory`` from the dask config; see the module's text.
    """
    import dask
    from distributed import futures_of

    mode = dask.config.get("sk_softmax.memory", "auto")
    if mode not in MODES:
        raise ValueError(
            f"The dask config 'sk_softmax.memory' must be one of {MODES}; got {mode!r}."
        )
    if mode != "auto":
        return mode
    X = arrays[0]
    if len(futures_of(X)) >= X.numblocks[0]:
        return "pinned"  # persisted: it is in the cluster's memory already
    workers = client.scheduler_info()["workers"].values()
    limit = sum(worker.get("memory_limit") or 0 for worker in workers)
    nbytes = sum(a.nbytes for a in arrays if a is not None)
    return "streamed" if limit and nbytes > limit / 2 else "pinned"


def make_chunks(X, y, sample_weight, dtype, verbose=0):
    """Build the chunks' losses where they live.

    Parameters
    ----------
    X : dask array of shape (n_samples, n_features)
        Row-chunked data (a single chunk across the features).
    y : dask array of shape (n_samples,)
        Labels with the same row chunks.
    sample_weight : dask array of shape (n_samples,) or None
        Weights with the same row chunks.
    dtype : dtype
        The floating dtype of the fit.
    verbose : int, default=0
        Whether a recovery from a lost worker prints a line.

    Returns
    -------
    chunks : ChunkPool, ActorPool or StreamPool
        One :class:`ChunkLoss` in this process without a distributed client;
        else pinned actors or streamed blocks (:func:`memory_mode`). Their
        labels are not encoded yet: ask for ``labels``, then ``encode``.
    """
    import dask

    blocks_X = list(X.to_delayed().ravel())
    blocks_y = list(y.to_delayed().ravel())
    weighted = sample_weight is not None
    blocks_w = (
        list(sample_weight.to_delayed().ravel()) if weighted else [None] * len(blocks_X)
    )
    client = _client()
    if client is None:
        n = len(blocks_X)
        parts = dask.compute(*blocks_X, *blocks_y, *(blocks_w if weighted else []))
        weights = parts[2 * n :] if weighted else [None] * n
        blocks = [(parts[i], parts[n + i], weights[i]) for i in range(n)]
        return ChunkPool([ChunkLoss(blocks, None, dtype)], remote=False)
    client.wait_for_workers(1)
    if memory_mode(client, (X, y, sample_weight)) == "streamed":
        blocks = list(zip(blocks_X, blocks_y, blocks_w, strict=True))
        return StreamPool(client, blocks, dtype)
    pool = _pinned(client, blocks_X, blocks_y, blocks_w, dtype, verbose)
    pool.bounds = row_bounds(X.chunks[0])
    return pool


def _pinned(client, blocks_X, blocks_y, blocks_w, dtype, verbose):
    """One actor per worker, on the worker that holds the X blocks it gets."""
    import dask
    from distributed import wait

    futures_X = client.compute(blocks_X)
    futures_y = client.compute(blocks_y)
    futures_w = (
        [None] * len(futures_X) if blocks_w[0] is None else client.compute(blocks_w)
    )
    wait(futures_X)
    holders = client.who_has(futures_X)
    groups = {}
    for i, fx in enumerate(futures_X):
        worker = sorted(holders[fx.key])[0]
        indices, blocks = groups.setdefault(worker, ([], []))
        indices.append(i)
        blocks.append((fx, futures_y[i], futures_w[i]))
    futures = [
        client.submit(ChunkLoss, blocks, None, dtype, actor=True, workers=[worker])
        for worker, (_, blocks) in groups.items()
    ]
    return ActorPool(
        client,
        groups.values(),
        futures,
        lambda blocks: place_actor(client, ChunkLoss, blocks, dtype),
        row_bounds([0] * len(blocks_X)),
        retries=dask.config.get("sk_softmax.retries", 3),
        verbose=verbose,
    )
