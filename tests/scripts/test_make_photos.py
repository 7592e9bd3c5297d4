"""scripts/make_photos.py: the rendered dataset's splits, and its hard occluded set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.scripts import load_script


@pytest.fixture(scope="module")
def make_photos():
    return load_script("make_photos")


def test_occlusion_one_puts_occluders_in_every_photo(make_photos, tmp_path: Path) -> None:
    from zerogo.scan.dataset import load_photos

    out = tmp_path / "hard"
    argv = ["--out", str(out), "--seed", "3", "--train", "0", "--validation", "6",
            "--test", "0", "--only", "validation", "--random-share", "0", "--occlusion", "1"]
    assert make_photos.main(argv) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["render_config"]["occlusion"] == 1.0
    photos = load_photos(out / "validation")
    assert len(photos) == 6
    # a hand and a bowl in every photo: most hide some of the board's points
    hidden = [bool(np.asarray(photos.occluded[i]).any()) for i in range(len(photos))]
    assert sum(hidden) >= 4


def test_occlusion_must_be_a_probability(make_photos, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="probability"):
        make_photos.main(["--out", str(tmp_path / "x"), "--train", "0", "--validation", "1",
                          "--test", "0", "--occlusion", "1.5"])
