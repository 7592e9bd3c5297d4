"""scripts/train_scan.py: a model trained from ``--init`` keeps the lineage of its runs."""

from __future__ import annotations

import json

import pytest

from tests.scripts import load_script


@pytest.fixture(scope="module")
def train_scan():
    return load_script("train_scan")


def test_a_fresh_model_records_its_one_run(train_scan) -> None:
    meta = train_scan.lineage(None, {"steps": 10, "cpu_seconds": 4.5})
    assert meta == {"runs": [{"steps": 10, "cpu_seconds": 4.5}], "cpu_seconds_total": 4.5}


def test_a_model_from_init_keeps_the_earlier_runs_first(train_scan) -> None:
    init = {
        "runs": [{"steps": 1000, "cpu_seconds": 500.0}, {"steps": 1200, "cpu_seconds": 600.0}],
        "cpu_seconds_total": 1100.0,
        "flag_threshold": 0.9,
        "calibrated_on": "data/scan/photos/validation",
    }
    meta = train_scan.lineage(init, {"steps": 5000, "cpu_seconds": 2000.0})
    assert [r["steps"] for r in meta["runs"]] == [1000, 1200, 5000]
    assert meta["cpu_seconds_total"] == 3100.0
    assert meta["flag_threshold"] == 0.9
    assert "init" in meta["calibrated_on"]  # not calibrated for the new weights
    assert len(init["runs"]) == 2  # the init model's meta is left alone


def test_a_single_run_init_meta_becomes_the_first_run(train_scan) -> None:
    init = {"steps": 700, "cpu_seconds": 300.0, "command": "train_scan.py --steps 700"}
    meta = train_scan.lineage(init, {"steps": 100, "cpu_seconds": 50.0})
    assert meta["runs"][0]["command"] == "train_scan.py --steps 700"
    assert meta["cpu_seconds_total"] == 350.0


def test_a_run_records_the_command_that_rendered_its_photos(train_scan, tmp_path) -> None:
    assert train_scan._train_split_command(tmp_path) is None
    command = "scripts/make_photos.py --out data/scan/photos --train 8000 --only train"
    (tmp_path / "manifest.json").write_text(json.dumps({"splits": {"train": {"command": command}}}))
    assert train_scan._train_split_command(tmp_path) == command


def test_the_empty_photos_show_training_backgrounds_only(train_scan, monkeypatch) -> None:
    """No held-out background (``stripes``, ``marble``, ...) reaches training, not even
    in the photos without a board; the line backgrounds do."""
    from zerogo.scan import render

    drawn = []
    real = render._background

    def spy(rng, kind, shape):
        drawn.append(kind)
        return real(rng, kind, (40, 40))

    monkeypatch.setattr(render, "_background", spy)
    monkeypatch.setattr(render, "_camera_effects", lambda rng, photo, config: photo)
    train_scan.empty_photos()
    assert len(drawn) == train_scan.EMPTY_PHOTOS
    assert set(drawn) <= set(render.TRAINING_BACKGROUNDS)
    assert set(drawn) & set(render.LINE_BACKGROUNDS)
    assert not set(drawn) & render._HELD_OUT_LOOKS
