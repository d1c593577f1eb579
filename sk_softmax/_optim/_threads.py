"""Keep scipy's own BLAS thread pool out of numpy's way.

numpy and scipy wheels each ship an OpenBLAS with its own thread pool. scipy's
L-BFGS-B does its small vector work on scipy's BLAS, whose idle threads then
spin and compete with numpy's threads doing the large matrix products. Limiting
scipy's pool to one thread while L-BFGS-B runs removes that contention; numpy's
pool is left alone. When numpy and scipy share one BLAS, nothing is limited.
"""

import contextlib
import os

from threadpoolctl import ThreadpoolController

_CONTROLLER = None


def _scipy_blas_controllers():
    """Return controllers of the BLAS libraries scipy loaded apart from numpy."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    libraries = _CONTROLLER.select(user_api="blas").lib_controllers
    if len(libraries) < 2:
        return []
    return [
        lib
        for lib in libraries
        if "scipy" in os.path.normpath(lib.filepath).split(os.sep)[-2]
    ]


@contextlib.contextmanager
def single_threaded_scipy_blas():
    """Context manager limiting scipy's separate BLAS thread pool to one thread."""
    libraries = _scipy_blas_controllers()
    previous = [lib.num_threads for lib in libraries]
    for lib in libraries:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n_threads in zip(libraries, previous, strict=True):
            lib.set_num_threads(n_threads)
