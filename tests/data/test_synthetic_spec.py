"""`SyntheticSpec`: the class definitions behind the synthetic long-tailed dataset."""

import numpy as np
import pytest

from keras_rr.data import SyntheticSpec


def test_rare_things_resemble_a_stuff_class():
    spec = SyntheticSpec.build(num_classes=12, num_stuff_classes=4, color_jitter=40.0)
    for k in spec.thing_classes:
        parent = spec.parents[k]
        assert parent < spec.num_stuff_classes
        assert np.linalg.norm(spec.colors[k] - spec.colors[parent]) <= 40.0 + 1e-6
        assert spec.periods[k] == spec.periods[parent]
    stuff = spec.colors[: spec.num_stuff_classes]
    distances = np.linalg.norm(stuff[:, None] - stuff[None], axis=-1)
    assert distances[np.triu_indices(4, 1)].min() > 40.0  # stuff classes are distinct
    assert len(set(spec.class_names)) == 12
    assert spec.class_names[:2] == ("ground", "sky")
    for k in spec.thing_classes:  # named after their look: parent's stripes, shape
        assert spec.class_names[k] == f"{spec.class_names[spec.parents[k]]}-striped-{spec.shapes[k]}"


def test_class_names_stay_unique_when_shapes_repeat():
    spec = SyntheticSpec.build(num_classes=40, num_stuff_classes=2)
    assert len(set(spec.class_names)) == 40


def test_frequencies_follow_a_power_law_from_one_to_one_over_imbalance():
    spec = SyntheticSpec.build(num_classes=10, num_stuff_classes=3, imbalance=20.0)
    assert spec.num_classes == 10
    np.testing.assert_array_equal(spec.stuff_classes, [0, 1, 2])
    np.testing.assert_array_equal(spec.thing_classes, np.arange(3, 10))
    assert spec.image_frequencies[0] == pytest.approx(1.0)
    assert spec.image_frequencies[-1] == pytest.approx(1 / 20.0)
    assert spec.shapes[:3] == ("region",) * 3 and "region" not in spec.shapes[3:]
    again = SyntheticSpec.build(num_classes=10, num_stuff_classes=3, imbalance=20.0)
    np.testing.assert_array_equal(again.colors, spec.colors)
    other = SyntheticSpec.build(num_classes=10, num_stuff_classes=3, imbalance=20.0, class_seed=1)
    assert not np.array_equal(other.colors, spec.colors)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_classes": 1}, "num_classes"),
        ({"num_classes": 3.0}, "num_classes"),
        ({"num_classes": 4, "num_stuff_classes": 4}, "num_stuff_classes"),
        ({"num_stuff_classes": 0}, "num_stuff_classes"),
        ({"imbalance": 0.9}, "imbalance"),
        ({"imbalance": float("inf")}, "imbalance"),
        ({"color_jitter": -0.1}, "color_jitter"),
    ],
)
def test_build_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SyntheticSpec.build(**kwargs)
