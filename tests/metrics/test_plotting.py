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
    # Class 1 has a ΔAcc (it is in the ground truth) but no ΔIoU: it keeps its slot.
    rr_metrics.plot_per_class_delta(delta, [0.02, 0.01, -0.01, 0.0], [40, 30, 20, 10], tmp_path / "delta.png")
    (figure,) = figures
    ax = figure.axes[0]
    heights = [bar.get_height() for bar in ax.patches]
    # Three bars (the NaN class has none); a true zero change keeps its zero bar.
    np.testing.assert_allclose(heights, [2.0, -1.0, 0.0])
    (crosses,) = ax.collections
    np.testing.assert_allclose(crosses.get_offsets(), [[1.0, 0.0]])  # class 1, 2nd most frequent
    assert "NaN" in ax.get_legend().get_texts()[0].get_text()
    np.testing.assert_allclose([bar.get_height() for bar in figure.axes[1].patches], [2.0, 1.0, -1.0, 0.0])
    monkeypatch.undo()
    plt.close(figure)


def _kept_figure(monkeypatch):
    import matplotlib.pyplot as plt

    figures = []
    monkeypatch.setattr(plt, "close", figures.append)  # keep the figure to read it back
    return figures


def _tick_labels(ax):
    return [label.get_text() for label in ax.get_xticklabels()]


def test_per_class_delta_leaves_out_classes_absent_from_both_runs(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    figures = _kept_figure(monkeypatch)
    # Class 2: no ground truth in the scored set (ΔIoU and ΔAcc NaN); class 1: ΔIoU NaN only.
    delta_iou = np.array([0.02, np.nan, np.nan, -0.01])
    delta_acc = np.array([0.01, 0.03, np.nan, -0.02])
    rr_metrics.plot_per_class_delta(delta_iou, delta_acc, [40, 30, 20, 10], tmp_path / "delta.png")
    (figure,) = figures
    top, bottom = figure.axes
    assert _tick_labels(bottom) == ["0", "1", "3"]  # class ids, most frequent first; 2 left out
    np.testing.assert_allclose([bar.get_height() for bar in top.patches], [2.0, -1.0])
    np.testing.assert_allclose(top.collections[0].get_offsets(), [[1.0, 0.0]])  # class 1 marked
    np.testing.assert_allclose([bar.get_height() for bar in bottom.patches], [1.0, 3.0, -2.0])
    assert bottom.get_xlabel().endswith("not shown, no ground truth in either run: 2")
    monkeypatch.undo()
    plt.close(figure)


def test_frequency_histogram_labels_classes_and_marks_absent_ones(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    figures = _kept_figure(monkeypatch)
    pixels = np.array([50, 0, 400, 7])  # class 1 absent
    regions = np.array([5, 0, 9, 2])
    names = ["road", "boat", "sky", "pole"]
    rr_metrics.plot_frequency_histogram(pixels, regions, tmp_path / "freq.png", class_names=names)
    (figure,) = figures
    (ax,) = figure.axes
    assert _tick_labels(ax) == ["sky", "road", "pole", "boat"]  # by name, absent class kept last
    np.testing.assert_allclose([bar.get_height() for bar in ax.patches], [1.0, 50 / 400, 7 / 400])
    (crosses,) = ax.collections
    assert crosses.get_offsets()[:, 0].tolist() == [3.0]  # the absent class's slot, marked
    assert "class absent (0 pixels)" in [t.get_text() for t in ax.get_legend().get_texts()]
    monkeypatch.undo()
    plt.close(figure)
    # Without names, the ticks are class ids (not ranks).
    figures = _kept_figure(monkeypatch)
    rr_metrics.plot_frequency_histogram(pixels, regions, tmp_path / "ids.png")
    assert _tick_labels(figures[0].axes[0]) == ["2", "0", "3", "1"]
    monkeypatch.undo()
    plt.close(figures[0])
