"""scripts/eval_scan.py: a flag threshold chosen elsewhere is stored in the model's meta."""

from __future__ import annotations

import pytest
import torch

from tests.scripts import load_script
from zerogo.scan.model import ScanConfig, ScanNet, load_model, save_model


@pytest.fixture(scope="module")
def eval_scan():
    return load_script("eval_scan")


def test_set_threshold_stores_it_and_keeps_the_weights(eval_scan, tmp_path, capsys) -> None:
    torch.manual_seed(0)
    path = save_model(ScanNet(ScanConfig()), tmp_path / "scan.pt", {"flag_threshold": 0.9})
    before, _ = load_model(path)
    argv = ["--data", str(tmp_path), "--model", str(path), "--set-threshold", "0.95"]
    assert eval_scan.main([*argv, "--calibrated-on", "tuning sets, two views"]) == 0
    after, meta = load_model(path)
    assert meta["flag_threshold"] == 0.95 and meta["calibrated_on"] == "tuning sets, two views"
    for name, tensor in before.state_dict().items():
        assert torch.equal(tensor, after.state_dict()[name])
    assert '"flag_threshold": 0.95' in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra", [["--set-threshold", "1.5", "--calibrated-on", "x"], ["--set-threshold", "0.95"]]
)
def test_set_threshold_refuses_a_bad_value_or_no_provenance(eval_scan, tmp_path, extra) -> None:
    path = save_model(ScanNet(ScanConfig()), tmp_path / "scan.pt", {"flag_threshold": 0.9})
    with pytest.raises(SystemExit) as exit_info:
        eval_scan.main(["--data", str(tmp_path), "--model", str(path), *extra])
    assert exit_info.value.code == 2
    assert load_model(path)[1]["flag_threshold"] == 0.9  # left alone
