"""The code of the documentation's pages runs: each page is a doctest.

Pages whose examples need an optional package skip, with the reason, where it
is missing; single examples that need hardware (a CUDA GPU) or a package that
is not among the test extras (mlflow) carry ``# doctest: +SKIP`` and are run
elsewhere (tests/test_mlflow.py) or not at all.
"""

import doctest
import importlib.util
from pathlib import Path

import pytest

DOCS = Path(__file__).parents[1] / "docs"
GENERATED = ("_build", "generated", "auto_examples")
PAGES = sorted(
    p.relative_to(DOCS).as_posix()
    for p in DOCS.rglob("*.rst")
    if p.relative_to(DOCS).parts[0] not in GENERATED
    and p.name != "sg_execution_times.rst"
)
# Optional modules a page's examples import.
NEEDS = {
    "user_guide/online.rst": ["sklearn.callback"],
    "user_guide/results.rst": ["skops", "skl2onnx", "onnxruntime"],
    "user_guide/scale_out.rst": ["dask.array"],
}
# Pages of prose, tables and formulas only.
WITHOUT_EXAMPLES = {"index.rst", "api.rst", "user_guide/index.rst"}
WITHOUT_EXAMPLES |= {"user_guide/model.rst", "user_guide/solvers.rst"}
WITHOUT_EXAMPLES |= {"developer/architecture.rst"}


def _missing(module):
    try:
        return importlib.util.find_spec(module) is None
    except ModuleNotFoundError:
        return True


def test_every_page_is_listed():
    assert "user_guide/migrating.rst" in PAGES
    assert set(NEEDS) | WITHOUT_EXAMPLES <= set(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(page):
    missing = [m for m in NEEDS.get(page, []) if _missing(m)]
    if missing:
        pytest.skip(f"{page} needs {', '.join(missing)}, which is not installed")
    failed, attempted = doctest.testfile(
        str(DOCS / page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        raise_on_error=False,
        verbose=False,
        report=True,
    )
    assert failed == 0, f"{failed} of {attempted} examples of {page} failed"
    if page in WITHOUT_EXAMPLES:
        assert attempted == 0, f"{page} has examples now: remove it from the list"
    else:
        assert attempted > 0, f"{page} has no example to run"
