"""What several model test modules share: tiny KerasHub presets saved once per session.

Building even a tiny KerasHub model costs seconds (tens of seconds on JAX), so the
presets are written once (`tests.tiny_models.save_resnet_presets`) and every test loads
them back from their directories, offline, as a user without network would.
"""

import pytest

from tests import tiny_models

PRESET_CLASSES = 4


@pytest.fixture(scope="session")
def resnet_presets(tmp_path_factory):
    """`{"resnet", "deeplab", "encoder_weights", "task_weights"}`: see `save_resnet_presets`."""
    return tiny_models.save_resnet_presets(str(tmp_path_factory.mktemp("presets")), PRESET_CLASSES)
