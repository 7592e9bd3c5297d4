"""scripts/plot_scan_grid.py: the panels of how the scan finds the grid, from photo files
and from a rendered dataset's photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.scripts import load_script


@pytest.fixture(scope="module")
def plot_scan_grid():
    return load_script("plot_scan_grid")


def test_draws_a_photo_file_and_dataset_photos(plot_scan_grid, tmp_path: Path) -> None:
    from zerogo.scan.positions import random_position
    from zerogo.scan.render import RenderConfig, render_photo

    rng = np.random.default_rng(5)
    photo = render_photo(random_position(9, rng, moves=20), rng, "kaya",
                         RenderConfig(occlusion=1.0))
    path = tmp_path / "board.png"
    Image.fromarray(photo.image).save(path)
    make_photos = load_script("make_photos")
    data = tmp_path / "set"
    assert make_photos.main(["--out", str(data), "--seed", "2", "--train", "0",
                             "--validation", "2", "--test", "0", "--only", "validation",
                             "--random-share", "0"]) == 0
    out = tmp_path / "grid.png"
    argv = [str(path), "--data", str(data), "--index", "0", "1", "-o", str(out)]
    assert plot_scan_grid.main(argv) == 0
    with Image.open(out) as image:
        width, height = image.size
    assert height > 2.5 * width / 3  # three rows of three panels


def test_refuses_no_photos_and_unreadable_files(plot_scan_grid, tmp_path: Path, capsys) -> None:
    assert plot_scan_grid.main(["-o", str(tmp_path / "x.png")]) == 2
    assert "no photos" in capsys.readouterr().err
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    assert plot_scan_grid.main([str(bad), "-o", str(tmp_path / "x.png")]) == 2
    assert "not a readable image" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
