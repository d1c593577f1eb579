"""Chunk losses pinned in the workers' memory, rebuilt when a worker is lost.

:class:`ActorPool` holds one :class:`~sk_softmax._backends._dask_chunks.ChunkLoss`
actor per group of row blocks, on the worker that stores the blocks. When a
worker dies or leaves during a fit, the calls to its actors fail; the pool then
rebuilds those actors from the blocks' futures -- which the scheduler recomputes
from the collection's lineage on the surviving or restarted workers --, replays
the calls that set the chunks' state (``encode``, ``build``,
``sample_hessian_share`` and, before a Hessian product, ``gradient_hessian``
at the last point) and retries the evaluation. The solvers see nothing of it:
the retried evaluation returns what the undisturbed one would have.
"""

import time

import numpy as np

# How often a pending call checks whether its actors' workers are still there.
_POLL_S = 0.2
# How long a failed call waits for the scheduler to report which worker died.
_SETTLE_S = 5.0


class ChunksLostError(RuntimeError):
    """Row chunks were lost with their worker and could not be recomputed."""


class _WorkerLost(Exception):
    """Internal: the actors at `indices` are gone."""

    def __init__(self, indices, cause=None):
        super().__init__(indices)
        self.indices = sorted(set(indices))
        self.cause = cause


def place_actor(client, chunk_loss, blocks, dtype):
    """Start a chunk-loss actor on the worker that holds the group's first X block.

    Parameters
    ----------
    client : distributed.Client
        The client.
    chunk_loss : type
        The actor's class (:class:`~sk_softmax._backends._dask_chunks.ChunkLoss`).
    blocks : list of tuple
        ``(X, y, sample_weight)`` futures per block of the group.
    dtype : dtype
        The floating dtype of the fit.

    Returns
    -------
    future : distributed.Future
        The actor's future (its ``result()`` is the actor handle).
    """
    from distributed import wait

    futures = [f for block in blocks for f in block if f is not None]
    wait(futures)
    for future in futures:
        if future.status == "error":
            raise future.exception()
    holders = client.who_has([blocks[0][0]])
    worker = sorted(holders[blocks[0][0].key])[0]
    return client.submit(chunk_loss, blocks, None, dtype, actor=True, workers=[worker])


class ActorPool:
    """Chunk-loss actors over groups of row blocks, rebuilt after a worker loss.

    Parameters
    ----------
    client : distributed.Client
        The client the actors live under.
    groups : list of tuple
        ``(block_indices, blocks)`` per group: the indices of the row blocks
        of ``X`` in the group and their ``(X, y, sample_weight)`` futures.
    futures : list of distributed.Future
        The groups' actor futures (:func:`place_actor`).
    make : callable
        ``make(blocks)`` starts a new actor for a group's blocks.
    bounds : ndarray of shape (n_blocks + 1,)
        The row offsets of the blocks, for error messages.
    retries : int
        The most recoveries one evaluation may go through.
    verbose : int
        Whether to print a line per recovery.
    """

    remote = True

    def __init__(self, client, groups, futures, make, bounds, retries, verbose):
        self.client = client
        self.groups = list(groups)
        self.futures = list(futures)
        try:
            self.chunks = [future.result() for future in self.futures]
        except BaseException:  # a block failed its checks: free the others
            client.cancel(self.futures)
            raise
        self._make = make
        self.bounds = bounds
        self.retries = int(retries)
        self.verbose = verbose
        self.recoveries = 0
        self._replay = []  # (method, per-group args) that set the actors' state
        self._point = None  # the last gradient_hessian's arguments

    def map(self, method, *args):
        """Call `method` on every chunk with the same arguments."""
        return self.map_each(method, [args] * len(self.chunks))

    def map_each(self, method, args):
        """Call `method` on each chunk with its own arguments, surviving losses."""
        args = list(args)
        for attempt in range(self.retries + 1):
            try:
                results = self._call(method, args)
            except _WorkerLost as lost:
                if attempt == self.retries:
                    raise ChunksLostError(
                        f"Gave up after {self.retries} recoveries in one "
                        f"evaluation ({method!r}): workers kept being lost "
                        f"(chunks {self._describe(lost.indices)})."
                    ) from lost.cause
                self._recover(lost.indices, method)
                continue
            self._remember(method, args)
            return results

    def restrict(self, keep):
        """Drop the groups whose entry in `keep` is false."""
        keep = list(keep)

        def kept(items):
            return [item for item, k in zip(items, keep, strict=True) if k]

        self.groups, self.futures, self.chunks = map(
            kept, (self.groups, self.futures, self.chunks)
        )
        self._replay = [(method, kept(args)) for method, args in self._replay]

    def release(self):
        """Free the actors, and with them the blocks they hold, on the workers.

        The actors' futures are cancelled: dropping them is not enough, as
        every call of an actor leaves a reference cycle in ``distributed``
        that keeps its handle, and the actor, until a cyclic garbage
        collection. The blocks' futures are only dropped (their keys can be
        the user's persisted collection's). The pool is unusable afterwards.
        """
        futures = self.futures
        self.groups, self.futures, self.chunks, self._replay = [], [], [], []
        self._point = None
        if futures and self.client.status == "running":
            self.client.cancel(futures)

    def _remember(self, method, args):
        if method in ("encode", "build", "sample_hessian_share"):
            self._replay = [(m, a) for m, a in self._replay if m != method]
            self._replay.append((method, args))
        elif method == "gradient_hessian":
            self._point = args

    def _lost(self):
        """Return the indices of the actors the scheduler no longer holds."""
        futures = self.futures
        lost = [i for i, f in enumerate(futures) if f.status != "finished"]
        if lost:
            return lost
        # A worker that closed cleanly can leave the futures "finished" a
        # while; the scheduler knows already that no worker holds them.
        holders = self.client.who_has(futures)
        return [i for i, f in enumerate(futures) if not holders.get(f.key)]

    def _call(self, method, args):
        """One round of calls; raise :class:`_WorkerLost` if an actor is gone."""
        pending = []
        for i, (actor, a) in enumerate(zip(self.chunks, args, strict=True)):
            try:
                pending.append(getattr(actor, method)(*a))
            except RuntimeError as error:  # "Worker holding Actor was lost"
                raise _WorkerLost([i, *self._lost()], error) from error
        return [self._result(i, future) for i, future in enumerate(pending)]

    def _result(self, i, future):
        """Wait for one call, checking meanwhile that no actor was lost."""
        while True:
            try:
                return future.result(timeout=_POLL_S)
            except TimeoutError:
                lost = self._lost()
                if lost:
                    raise _WorkerLost(lost) from None
            except OSError as error:  # the connection to the worker broke
                deadline = time.monotonic() + _SETTLE_S
                while not self._lost() and time.monotonic() < deadline:
                    time.sleep(0.05)
                raise _WorkerLost([i, *self._lost()], error) from error

    def _recover(self, indices, method):
        """Rebuild the actors at `indices` and bring them to the pool's state."""
        self.recoveries += 1
        start = time.perf_counter()
        for i in indices:
            self.futures[i].cancel()
            blocks = self.groups[i][1]
            try:
                future = self._make(blocks)
                actor = future.result()
                for replayed, args in self._replay:
                    getattr(actor, replayed)(*args[i]).result()
                if method == "hessp" and self._point is not None:
                    actor.gradient_hessian(*self._point[i]).result()
            except Exception as error:
                raise ChunksLostError(
                    f"The dask chunks {self._describe([i])} were lost with their "
                    "worker and could not be recomputed from the collection: "
                    f"{type(error).__name__}: {error}. The model is unchanged."
                ) from error
            self.futures[i], self.chunks[i] = future, actor
        if self.verbose:
            print(
                f"[dask] worker lost during {method!r}: rebuilt chunks "
                f"{self._describe(indices)} in {time.perf_counter() - start:.2f} s "
                f"and retried (recovery {self.recoveries})"
            )

    def _describe(self, indices):
        """Name the row blocks of the groups at `indices`, with their rows."""
        parts = []
        for i in indices:
            for b in self.groups[i][0]:
                lo, hi = int(self.bounds[b]), int(self.bounds[b + 1])
                parts.append(f"{b} (rows {lo}-{hi - 1})")
        return ", ".join(parts)


def row_bounds(row_chunks):
    """Row offsets of blocks of the given sizes, starting at 0."""
    return np.concatenate([[0], np.cumsum(row_chunks)])
