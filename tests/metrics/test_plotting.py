"""PNG plots of per-class results (matplotlib with the Agg backend)."""

import numpy as np
import pytest

from keras_rr import metrics as rr_metrics


def _is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


def _counts(k=12):
    return np.random.default_rng(0).integers(0, 10_000, k)


def test_per_class_delta_writes_png(tmp_path):
    k = 12
    delta = np.random.default_rng(1).normal(scale=0.05, size=k)
    delta[3] = np.nan
    path = rr_metrics.plot_per_class_delta(
        delta, -delta, _counts(k), tmp_path / "sub" / "delta.png",
        class_names=[f"c{i}" for i in range(k)], title="RR - baseline",
    )
    assert path == str(tmp_path / "sub" / "delta.png")
    assert _is_png(path) and (tmp_path / "sub" / "delta.png").stat().st_size > 1000


def test_frequency_histogram_writes_png(tmp_path):
    counts = _counts()
    path = rr_metrics.plot_frequency_histogram(
        counts, np.minimum(counts, 50) + 1, tmp_path / "freq.png", class_names=list("abcdefghijkl"), title="freq"
    )
    assert _is_png(path) and (tmp_path / "freq.png").stat().st_size > 1000


def test_plots_check_their_inputs(tmp_path):
    counts = _counts()
    delta = np.zeros(12)
    with pytest.raises(ValueError, match="delta_acc"):
        rr_metrics.plot_per_class_delta(delta, delta[:3], counts, tmp_path / "x.png")
    with pytest.raises(ValueError, match="pixel_counts"):
        rr_metrics.plot_per_class_delta(delta, delta, counts[:5], tmp_path / "x.png")
    with pytest.raises(ValueError, match="region_counts"):
        rr_metrics.plot_frequency_histogram(counts, counts[:5], tmp_path / "x.png")
    with pytest.raises(ValueError, match="class_names"):
        rr_metrics.plot_frequency_histogram(counts, counts, tmp_path / "x.png", class_names=["a"])
    assert not (tmp_path / "x.png").exists()


def test_per_class_delta_marks_nan_classes_instead_of_zero_bars(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    figures = []
    monkeypatch.setattr(plt, "close", figures.append)  # keep the figure to read it back
    delta = np.array([0.02, np.nan, -0.01, 0.0])
    rr_metrics.plot_per_class_delta(delta, delta, [40, 30, 20, 10], tmp_path / "delta.png")
    (figure,) = figures
    for ax in figure.axes:
        heights = [bar.get_height() for bar in ax.patches]
        # Three bars (the NaN class has none); a true zero change keeps its zero bar.
        np.testing.assert_allclose(heights, [2.0, -1.0, 0.0])
        (crosses,) = ax.collections
        np.testing.assert_allclose(crosses.get_offsets(), [[1.0, 0.0]])  # class 1, 2nd most frequent
        assert "NaN" in ax.get_legend().get_texts()[0].get_text()
    monkeypatch.undo()
    plt.close(figure)
