"""What every benchmark shares: the environment record, timing, RESULTS.md sections."""

import os
import platform
import time
from pathlib import Path

import numpy as np
import scipy
import sklearn
from threadpoolctl import threadpool_info

RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"


def environment():
    """Versions, CPU count and the BLAS / OpenMP pools with their thread counts."""
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "blas": [
            {k: lib.get(k) for k in ("filepath", "internal_api", "num_threads")}
            for lib in threadpool_info()
        ],
    }


def replace_section(name, body, missing=None):
    """Put `body` between RESULTS.md's ``<!-- name:start/end -->`` markers.

    When the markers are missing, ``missing`` (a heading and method text) and
    the markers are appended first.
    """
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = RESULTS_MD.read_text()
    if start not in text:
        text = f"{text.rstrip()}\n\n{missing}\n\n{start}\n{end}\n"
    head, rest = text.split(start)
    _, tail = rest.split(end)
    RESULTS_MD.write_text(f"{head}{start}\n{body}\n{end}{tail}")


def median_ms(f, repeats):
    """Median wall time of `repeats` calls of `f`, in ms, after one warm-up."""
    f()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3
