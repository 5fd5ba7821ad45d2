"""Class names of the benchmark datasets and `read_class_names`."""

import pytest

from keras_rr.data import ADE20K_CLASS_NAMES
from keras_rr.data import COCO_STUFF_CLASS_NAMES
from keras_rr.data import read_class_names


def test_benchmark_class_names():
    assert len(ADE20K_CLASS_NAMES) == len(set(ADE20K_CLASS_NAMES)) == 150
    assert ADE20K_CLASS_NAMES[0] == "wall" and ADE20K_CLASS_NAMES[-1] == "flag"
    assert len(COCO_STUFF_CLASS_NAMES) == len(set(COCO_STUFF_CLASS_NAMES)) == 171
    assert COCO_STUFF_CLASS_NAMES[79] == "toothbrush" and COCO_STUFF_CLASS_NAMES[80] == "banner"


def test_read_class_names(tmp_path):
    path = tmp_path / "classes.txt"
    path.write_text("  sky \n# a comment\n\nroad\n#\ncar\n")
    assert read_class_names(path) == ("sky", "road", "car")
    assert read_class_names(str(path)) == ("sky", "road", "car")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n\n")
    with pytest.raises(ValueError, match="holds no names"):
        read_class_names(empty)
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        read_class_names(tmp_path / "missing.txt")
