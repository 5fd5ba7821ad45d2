"""Every config file and variant yields the values recorded in `fixtures/config_snapshot.json`.

The fixture was written from the config files before they were rewritten as one-line
selections of `configs/recipes.py`, so it pins what a refactor of `configs/` must not
change: every field's value and type, for every config and every `:variant`. Regenerate
it only for an intended change of a recipe, and review the diff:

    KERAS_BACKEND=torch python -m tests.training.test_config_snapshot
"""

import glob
import json
import os

from keras_rr.training import config as rr_config
from tests.harness import REPO_ROOT

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "config_snapshot.json")


def _leaves(config, prefix=""):
    """`{dotted field: "type: repr(value)"}`; the type is the field's (placeholders keep theirs)."""
    leaves = {}
    for key in config.keys():
        value = config[key]
        if hasattr(value, "keys"):
            leaves.update(_leaves(value, f"{prefix}{key}."))
        else:
            leaves[prefix + key] = f"{config.get_type(key).__name__}: {value!r}"
    return leaves


def _config_files():
    return sorted(
        os.path.relpath(p, REPO_ROOT).replace(os.sep, "/")
        for p in glob.glob(os.path.join(REPO_ROOT, "configs", "*", "*.py"))
    )


def snapshot():
    """`{file: {"": all leaves, variant: the leaves the variant changes}}` for every config file."""
    result = {}
    for relative in _config_files():
        plain = _leaves(rr_config.load_config(os.path.join(REPO_ROOT, relative)))
        entry = {"": plain}
        for variant in rr_config.VARIANTS:
            leaves = _leaves(rr_config.load_config(os.path.join(REPO_ROOT, relative) + ":" + variant))
            assert set(leaves) == set(plain), (relative, variant)
            entry[variant] = {key: value for key, value in leaves.items() if value != plain[key]}
        result[relative] = entry
    return result


def test_every_config_and_variant_matches_the_snapshot():
    with open(FIXTURE) as f:
        expected = json.load(f)
    actual = snapshot()
    assert sorted(actual) == sorted(expected)
    for relative in expected:
        for variant in expected[relative]:
            assert actual[relative][variant] == expected[relative][variant], (relative, variant)


if __name__ == "__main__":
    with open(FIXTURE, "w") as f:
        json.dump(snapshot(), f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {FIXTURE}")
