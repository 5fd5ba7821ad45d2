"""Comparing two reports: deltas, head/body/tail, Pearson ρ on a known example, the PNG."""

import json

import numpy as np
import pytest

from keras_rr.experiments import run_comparison


def _report(acc, iou, **extra):
    return {"acc": np.asarray(acc, "float64"), "iou": np.asarray(iou, "float64"),
            "miou": float(np.nanmean(iou)), "macc": float(np.nanmean(acc)), "aacc": 0.5, **extra}


PIXELS = np.array([1000.0, 500.0, 100.0, 40.0, 10.0, 2.0])
REGIONS = np.array([50.0, 40.0, 20.0, 15.0, 3.0, 1.0])
BASE = _report([0.9, 0.8, 0.6, 0.4, 0.2, 0.0], [0.8, 0.7, 0.5, 0.3, 0.1, np.nan])
CAND = _report([0.9, 0.85, 0.7, 0.5, 0.4, 0.1], [0.8, 0.72, 0.55, 0.4, 0.2, 0.05])


def test_compare_known_example(tmp_path):
    result = run_comparison.compare_reports(BASE, CAND, PIXELS, REGIONS, class_names=list("abcdef"),
                                        candidate_name="rr")
    np.testing.assert_allclose(result["delta"]["acc"], [0.0, 0.05, 0.1, 0.1, 0.2, 0.1], atol=1e-12)
    assert result["delta"]["iou"][-1] is None  # NaN baseline IoU
    # Thirds by pixel frequency: head {a, b}, body {c, d}, tail {e, f}.
    np.testing.assert_allclose(result["groups"]["delta_acc"]["head"], 0.025)
    np.testing.assert_allclose(result["groups"]["delta_acc"]["tail"], 0.15)
    np.testing.assert_allclose(result["groups"]["delta_iou"]["tail"], 0.1)  # NaN skipped
    p = result["pearson"]["baseline"]
    np.testing.assert_allclose(p["acc_vs_pixel"], np.corrcoef(BASE["acc"], PIXELS)[0, 1], rtol=1e-10)
    np.testing.assert_allclose(p["acc_vs_region"], np.corrcoef(BASE["acc"], REGIONS)[0, 1], rtol=1e-10)
    np.testing.assert_allclose(p["acc_vs_log_pixel"], np.corrcoef(BASE["acc"], np.log(PIXELS))[0, 1], rtol=1e-10)
    np.testing.assert_allclose(
        result["pearson"]["candidate"]["acc_vs_log_region"], np.corrcoef(CAND["acc"], np.log(REGIONS))[0, 1], rtol=1e-10
    )
    np.testing.assert_allclose(result["summary"]["macc"]["delta"], CAND["macc"] - BASE["macc"])

    paths = run_comparison.write_comparison(result, str(tmp_path / "cmp"))
    with open(paths["plot"], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    markdown = open(paths["markdown"]).read()
    assert "| tail |" in markdown and "rr" in markdown and f"{100 * p['acc_vs_region']:.2f}" in markdown
    assert json.load(open(paths["json"]))["names"] == {"baseline": "baseline", "candidate": "rr"}


def test_frequencies_from_reports_and_errors(tmp_path):
    base = dict(BASE, train_pixel_counts=PIXELS, train_region_counts=REGIONS, class_names=list("abcdef"))
    result = run_comparison.compare_reports(base, CAND)
    assert result["frequency_source"] == "training counts in metrics.json"
    assert result["region_counts"] == REGIONS.tolist() and result["class_names"][0] == "a"
    only_eval = run_comparison.compare_reports(dict(BASE, pixel_counts=PIXELS), CAND)
    assert only_eval["frequency_source"] == "evaluated ground-truth pixels"
    assert "acc_vs_region" not in only_eval["pearson"]["baseline"]
    with pytest.raises(ValueError, match="same number of classes"):
        run_comparison.compare_reports(BASE, _report([0.1], [0.1]), PIXELS)
    with pytest.raises(ValueError, match="No class frequencies"):
        run_comparison.compare_reports(BASE, CAND)


def test_load_report_round_trip(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({"miou": 0.5, "macc": None, "aacc": 0.7, "iou": [0.5, None], "acc": [1.0, None]}))
    report = run_comparison.load_report(path)
    assert np.isnan(report["iou"][1]) and np.isnan(report["macc"])
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="metrics.json"):
        run_comparison.load_report(tmp_path / "bad.json")


def test_ltss_frequency_groups_by_image_and_pixel():
    # Pixel frequency (of 1652): 60.5%, 30.3%, 6.1%, 2.4%, 0.6%, 0.1% -> f f c c r r.
    # Image frequency (of 200 images): 25%, 20%, 10%, 7.5%, 1.5%, 0.5% -> f f c c c r.
    base = dict(BASE, train_num_images=200)
    result = run_comparison.compare_reports(base, CAND, PIXELS, REGIONS)
    ltss = result["frequency_groups"]
    assert ltss["bounds"] == [0.01, 0.1]
    assert ltss["pixel"]["groups"] == ["frequent", "frequent", "common", "common", "rare", "rare"]
    assert ltss["image"]["groups"] == ["frequent", "frequent", "common", "common", "common", "rare"]
    np.testing.assert_allclose(ltss["pixel"]["rare"]["baseline"], 0.1)  # class f's NaN left out
    np.testing.assert_allclose(ltss["pixel"]["rare"]["candidate"], 0.125)
    np.testing.assert_allclose(ltss["image"]["common"]["delta"], (0.55 + 0.4 + 0.2 - 0.5 - 0.3 - 0.1) / 3)
    assert ltss["image"]["rare"]["baseline"] is None and ltss["image"]["rare"]["delta"] is None
    markdown = run_comparison.comparison_markdown(result)
    assert "LTSS mIoU by frequency group" in markdown and "| image | common | 3 | 30.00 | 38.33 | +8.33 |" in markdown
    # Without the number of training images there are no image groups.
    assert run_comparison.compare_reports(BASE, CAND, PIXELS, REGIONS)["frequency_groups"]["image"] is None
