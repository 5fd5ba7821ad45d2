import sys

import keras_rr
from tests.harness import run_python


def test_public_names_exist():
    assert keras_rr.ops.region_mean
    assert keras_rr.models.RegionRebalanceSegmenter
    assert keras_rr.losses.RegionRebalanceLoss
    assert keras_rr.losses.BalancedSoftmaxCrossEntropy
    assert keras_rr.export.export_segmenter
    assert keras_rr.__version__


def test_import_is_light():
    # (matplotlib is not checked: `import keras` itself imports it.)
    code = (
        "import sys, keras_rr; heavy = [m for m in ('tensorflow_datasets', 'keras_hub', 'keras_cv', "
        "'ml_collections') if m in sys.modules]; print(heavy); assert not heavy, heavy"
    )
    run_python(code)
    assert sys.modules.get("keras_rr") is keras_rr
