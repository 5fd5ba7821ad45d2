"""The long-tail comparison: epoch sampling of each recipe, paired rows, and a tiny run."""

import types

import numpy as np
import pytest
import tensorflow as tf

import keras_rr
from keras_rr.data import CopyPaste
from keras_rr.experiments.long_tail_comparison import comparison_rows
from keras_rr.experiments.long_tail_comparison import comparison_table
from keras_rr.experiments.long_tail_comparison import long_tail_variants
from keras_rr.experiments.paired_experiment import EpochSampling
from keras_rr.experiments.paired_experiment import train_variant
from keras_rr.experiments.paired_report import paired_difference
from keras_rr.metrics.frequency_groups import frequency_group_miou
from keras_rr.metrics.frequency_groups import frequency_groups
from keras_rr.networks.segmenters.small_fcn import small_fcn
from keras_rr.training import Variant


@pytest.fixture(scope="module")
def data():
    images, labels = keras_rr.data.synthetic_long_tailed(num_images=12, image_size=16, num_classes=6, seed=0)
    stats = keras_rr.data.compute_class_statistics(labels, 6, progress=False)
    return images, labels, stats


def test_rfs_epochs_cut_the_sampled_stream_into_epochs_of_n(data):
    images, labels, stats = data
    sampling = EpochSampling(Variant("RFS", repeat_factor_threshold=0.5), stats)
    factors = keras_rr.data.repeat_factors(stats, 0.5)
    assert factors.max() > 1
    stream = np.concatenate([keras_rr.data.repeat_factor_epoch(factors, 7, e) for e in range(6)])
    for epoch in range(3):
        x, y = sampling.epoch(images, labels, np.arange(12), seed=7, epoch=epoch)
        np.testing.assert_array_equal(y, labels[stream[12 * epoch : 12 * (epoch + 1)]])
    plain = EpochSampling(Variant("baseline"), stats)
    perm = np.random.default_rng(0).permutation(12)
    np.testing.assert_array_equal(plain.epoch(images, labels, perm, 0, 0)[1], labels[perm])


def test_copy_paste_epochs_paste_uniform_sources_with_the_seeded_draws(data):
    images, labels, stats = data
    variant = Variant("cp", copy_paste="rare", copy_paste_rare_bound=0.5)
    sampling = EpochSampling(variant, stats)
    rare = keras_rr.data.rare_classes(stats, 0.5)
    assert list(sampling.paste.rare_classes) == rare.tolist() and rare.size
    perm = np.arange(12)[::-1]
    x, y = sampling.epoch(images, labels, perm, seed=3, epoch=2)
    sources = np.random.default_rng([3, 2, 0x4350]).integers(0, 12, 12)
    paste = CopyPaste("rare", rare_classes=rare)
    for j in range(12):
        seed = tf.constant([3 * 100_003 + 2, j], tf.int64)
        want_x, want_y = paste(images[perm[j]], labels[perm[j]], images[sources[j]], labels[sources[j]], seed=seed)
        np.testing.assert_array_equal(y[j], want_y.numpy())
        np.testing.assert_array_equal(x[j], want_x.numpy())
    assert not np.array_equal(y, labels[perm])


def test_rows_are_paired_differences_with_intervals(data):
    _, _, stats = data
    rng = np.random.default_rng(0)

    def runs(shift):
        result = []
        for _ in range(3):
            iou = np.clip(rng.uniform(0.1, 0.9, 6) + shift, 0, 1)
            result.append(types.SimpleNamespace(iou=iou, miou=float(np.mean(iou))))
        return result

    results = {"baseline": runs(0.0), "RR": runs(0.05)}
    rows = dict(comparison_rows(results, stats))
    mean, delta, half = rows["RR"]["mIoU"]
    want = paired_difference([m.miou for m in results["RR"]], [m.miou for m in results["baseline"]])
    assert delta == pytest.approx(100 * want[0]) and half == pytest.approx(100 * want[1])
    assert rows["baseline"]["mIoU"][1] is None
    tags = frequency_groups(stats, by="pixel")
    rare = [100 * frequency_group_miou(m.iou, tags)["rare"] for m in results["RR"]]
    assert rows["RR"]["rare (pixel)"][0] == pytest.approx(np.mean(rare))
    table = comparison_table(list(rows.items()))
    assert "| RR |" in table and "rare (image)" in table
    names = [v.name for v in long_tail_variants()]
    assert names[0] == "baseline" and len(names) == 8 and "RR + copy-paste" in names


def test_a_combined_recipe_trains(data):
    images, labels, stats = data
    variant = Variant("RR + RFS + copy-paste", region_rebalance=True, repeat_factor_threshold=0.5,
                      copy_paste="rare", copy_paste_rare_bound=0.5)
    segmenter = train_variant(variant, 0, images, labels, stats, 6, lambda k: small_fcn(k, image_size=16, width=8),
                              epochs=1, batch_size=6)
    assert segmenter.output_shape[-1] == 6
