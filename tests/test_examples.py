"""Every script in examples/ runs to completion, drawing without a display."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))
SEED_WALKTHROUGH = Path(__file__).parents[1] / "examples" / "plot_seed_walkthrough.py"


@pytest.fixture
def non_interactive_matplotlib(request):
    """Draw with matplotlib's Agg backend; close every figure afterwards.

    The gallery's ``plot_*`` scripts need matplotlib (the ``plot`` extra) and
    are skipped without it; the other scripts draw nothing and always run.
    """
    callspec = getattr(request.node, "callspec", None)
    path = callspec.params["path"] if callspec else SEED_WALKTHROUGH
    try:
        import matplotlib
    except ImportError:
        if path.name.startswith("plot_"):
            pytest.skip(f"{path.name} needs matplotlib")
        yield
        return
    matplotlib.use("Agg")  # before the script imports pyplot: plt.show() is a no-op
    import matplotlib.pyplot as plt

    plt.close("all")
    yield
    plt.close("all")


def test_examples_exist():
    assert EXAMPLES
    gallery = [path for path in EXAMPLES if path.name.startswith("plot_")]
    assert gallery


@pytest.mark.slow  # every gallery example; the docs build runs them too
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path, capsys, non_interactive_matplotlib):
    runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out.strip()
    if path.name.startswith("plot_"):
        import matplotlib.pyplot as plt

        assert plt.get_fignums(), f"{path.name} drew no figure"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_has_a_gallery_title(path):
    # sphinx-gallery needs a module docstring that opens with a reST title.
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '"""'
    title, underline = lines[1], lines[2]
    assert title.strip()
    assert set(underline) == {"="} and len(underline) >= len(title)


def test_seed_walkthrough_prints_the_seed(capsys, non_interactive_matplotlib):
    runpy.run_path(str(SEED_WALKTHROUGH), run_name="__main__")
    out = capsys.readouterr().out
    assert "SoftMax: [0.68417808 0.10975145 0.20607048]" in out
    assert "ArgMax index: 0 one-hot: [1 0 0]" in out


def test_main_job_reproduces_the_seed(capsys):
    from sk_softmax.__main__ import main

    main()
    out = capsys.readouterr().out
    assert "SoftMax Outputs: [0.68417808 0.10975145 0.20607048]" in out
    assert "ArgMax Output (Index): 0" in out
    assert "ArgMax one-hot: [1 0 0]" in out
    assert "SoftmaxClassifier" in out and "LogisticRegression" in out
