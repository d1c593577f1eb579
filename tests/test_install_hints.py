"""Install hints in error messages say what the README and getting-started say."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sk_softmax import TrainingCurveDisplay, load_skops

ROOT = Path(__file__).parents[1]
INSTALL_DOCS = (ROOT / "README.md").read_text() + (
    ROOT / "docs" / "getting_started.rst"
).read_text()


def _hint(message):
    """The `pip install ".[extra]"` command a message gives."""
    found = re.findall(r'pip install "\.\[(\w+)\]"', message)
    assert len(found) == 1, message
    return f'pip install ".[{found[0]}]"'


def test_the_docs_install_the_extras_from_a_checkout():
    for extra in ("dask", "plot", "onnx", "skops", "docs", "test"):
        assert f'pip install ".[{extra}]"' in INSTALL_DOCS


def test_matplotlib_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError) as info:
        TrainingCurveDisplay([1.0, 0.5]).plot()
    assert _hint(str(info.value)) in INSTALL_DOCS


def test_skops_hint(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(ImportError) as info:
        load_skops(tmp_path / "model.skops")
    assert _hint(str(info.value)) in INSTALL_DOCS


def test_onnx_hint():
    code = (
        "import sys\n"
        "sys.modules['skl2onnx'] = None\n"
        "try:\n    import sk_softmax.onnx\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    assert _hint(out) in INSTALL_DOCS
