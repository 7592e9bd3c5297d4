"""Tests of ``scripts/compress_table.py``, the compression table of issue 11.

The cheap parts run on synthetic records: argument parsing, the ``zerogo compress``
and ``zerogo match`` command lines each form gets, the sign of the Elo (the form
against the original, engine2 against engine1), the markdown table and the section.
One end-to-end run builds two forms of a random b2c16 network with a few training
samples on the fixed dataset (``benchmarks/dataset``) and measures them (sizes,
accuracy, a token timing); the script is loaded from its file, as
``tests/zerogo/test_pipeline.py`` loads ``scripts/crash_kills.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.scripts import load_script

REPO = Path(__file__).resolve().parents[2]


ct = load_script("compress_table")


def _form(name: str) -> Any:
    return next(form for form in ct.FORMS if form.name == name)


def _record() -> dict[str, Any]:
    """A ``table.json`` record as ``measure`` writes it, with made-up figures."""
    rates = {"1": 400.0, "8": 900.0, "16": 1000.0, "32": 1100.0, "256": 1200.0}
    accuracy = {
        "positions": 1259,
        "policy_positions": 1259,
        "agreement": 0.75,
        "policy_top1": 0.5,
        "value_mse_original": 0.0123,
        "value_mse_z": 0.7,
    }
    return {
        "command": "scripts/compress_table.py measure",
        "machine": {"cpu": "Test CPU", "logical_cores": 2},
        "git_commit": "abc+dirty",
        "date": "2026-12-04T00:00:00+00:00",
        "load_average_at_start": [3.0, 2.0, 1.0],
        "timings_provisional": True,
        "threads": 1,
        "rounds": 1,
        "seconds_per_batch": 0.3,
        "batch_sizes": [1, 8, 16, 32, 256],
        "forms": {
            "original": {
                "label": "b6c64 float32 (torch), shipped",
                "backend": "torch",
                "precision": "float32",
                "parameters": 473774,
                "nonzero_parameters": 473774,
                "file_bytes": 1933551,
                "evals_per_s": rates,
                "speedup": {b: 1.0 for b in rates},
                "accuracy": {**accuracy, "agreement": 1.0, "value_mse_original": 0.0},
            },
            "sparse50": {
                "label": "magnitude-pruned 50%",
                "backend": "openvino",
                "precision": "float32",
                "parameters": 473774,
                "nonzero_parameters": 237000,
                "file_bytes": 1933551,
                "evals_per_s": {b: 2 * r for b, r in rates.items()},
                "speedup": {b: 2.0 for b in rates},
                "accuracy": accuracy,
            },
            "int8": {
                "label": "int8",
                "backend": "openvino",
                "parameters": 473774,
                "nonzero_parameters": None,
                "file_bytes": 596340,
            },
        },
    }


def test_parse_args_defaults_and_refusals() -> None:
    args = ct.parse_args(["measure"])
    assert (args.rounds, args.seconds, args.threads) == (5, 2.0, 1)
    assert args.batch_sizes == [1, 8, 16, 32, 256] and args.forms is None
    args = ct.parse_args(["elo", "--forms", "int8", "i32", "--games", "4"])
    assert args.forms == ["int8", "i32"] and args.games == 4 and args.visits == 200
    assert ct.parse_args(["build"]).scale == 1.0
    for bad in (["elo", "--forms", "nonsense"], ["nonsense"], []):
        with pytest.raises(SystemExit):
            ct.parse_args(bad)


def test_select_forms_keeps_table_order() -> None:
    assert [f.name for f in ct.select_forms(["i32", "original"])] == ["original", "i32"]
    assert len(ct.select_forms(None)) == len(ct.FORMS)
    with pytest.raises(ValueError, match="unknown forms"):
        ct.select_forms(["b99"])


def test_compress_arguments_scale_samples_and_name_the_sources(tmp_path: Path) -> None:
    original, data, report = REPO / "w.pt", tmp_path / "data", tmp_path / "r.json"
    prune = ct.compress_arguments(_form("i32"), original, tmp_path / "o.pt", data, 0.1, report)
    assert prune[:4] == ["compress", "prune", "--weights", "w.pt"]
    assert prune[prune.index("--finetune-samples") + 1] == "3000"
    assert prune[prune.index("--amount") + 1] == "0.5" and "--json" in prune
    raw = ct.compress_arguments(_form("b4c48-raw"), original, tmp_path / "s.pt", data, 1e-9, report)
    assert raw[2] == "--teacher" and "--raw-targets-only" in raw
    assert raw[raw.index("--samples") + 1] == "1"  # never zero
    quantize = ct.compress_arguments(_form("int8"), original, tmp_path / "q.onnx", data, 1, report)
    assert quantize[1] == "quantize" and quantize[quantize.index("--calibration") + 1].endswith(
        "train"
    )
    with pytest.raises(ValueError):
        ct.compress_arguments(_form("original"), original, original, data, 1, report)
    with pytest.raises(ValueError):
        ct.compress_arguments(_form("i48"), original, tmp_path / "o.pt", data, 0, report)


def test_match_arguments_put_the_form_second_with_its_backend(tmp_path: Path) -> None:
    form = _form("int8")
    args = ct.match_arguments(
        form,
        REPO / "benchmarks" / "compress" / "nets" / form.file,
        REPO / "zerogo" / "networks" / "b6c64-9x9.pt",
        tmp_path / "m",
        games=6,
        visits=50,
        opening_moves=4,
        seed=0,
        python=".venv/bin/python",
    )
    engine1, engine2 = args[args.index("--engine1") + 1], args[args.index("--engine2") + 1]
    assert "--weights zerogo/networks/b6c64-9x9.pt --backend torch" in engine1
    assert f"nets/{form.file} --backend openvino" in engine2
    assert "--visits 50" in engine1 and "--visits 50" in engine2
    assert "--resume" in args and args[args.index("-n") + 1] == "6"
    assert args[args.index("--journal") + 1] == str(tmp_path / "m" / "games.jsonl")
    with pytest.raises(ValueError):
        ct.match_arguments(
            _form("original"), tmp_path, tmp_path, tmp_path,
            games=2, visits=1, opening_moves=0, seed=0, python="python",
        )  # fmt: skip


def test_form_elo_is_the_form_against_the_original() -> None:
    summary = {
        "games": 10,
        "results": [{}] * 10,
        "engine2": {"wins": 3, "losses": 7},
        "draws": 0,
        "elo": 147.2,  # engine1 (the original) minus engine2
        "elo_interval": [-20.0, 350.0],
    }
    elo = ct.form_elo(summary)
    assert elo["elo"] == pytest.approx(-147.2)
    assert elo["elo_interval"] == [-350.0, 20.0]
    assert ct.format_elo(elo) == "-147 [-350, +20], 10 games"
    sweep = ct.form_elo({**summary, "elo": None, "elo_interval": [100.0, None]})
    assert ct.format_elo(sweep) == "3-7 (10 games)"
    assert ct.format_elo(None) == ct.DASH


def test_render_table_rows_cells_and_missing_figures() -> None:
    elo = {"sparse50": {"games": 100, "elo": -12.0, "elo_interval": [-60.0, 36.0]}}
    table = ct.render_table(_record(), elo)
    lines = table.splitlines()
    assert len(lines) == 2 + 3
    assert all(line.count("|") == lines[0].count("|") for line in lines)
    assert "evals/s @16" in lines[0] and "Elo vs orig." in lines[0]
    original, sparse, int8 = lines[2:]
    assert "| 1,000 |" in original and original.rstrip().endswith(f"| {ct.DASH} |")
    assert "237,000 nonzero of 473,774" in sparse and "| 2.00 |" in sparse
    assert "-12 [-60, +36], 100 games" in sparse and "| 0.750 |" in sparse
    assert "473,774 |" in int8 and "nonzero" not in int8
    assert int8.count(ct.DASH) == 5 + 1 + 4 + 1  # no timings, accuracy or Elo yet


def test_render_section_has_commands_tables_and_provenance() -> None:
    build = {
        "forms": {
            "int8": {
                "compress_command": ".venv/bin/zerogo compress quantize -o x.onnx",
                "cpu_seconds": 12.3,
                "file_bytes": 596340,
            }
        },
        "total_cpu_seconds": 12.3,
        "total_bytes": 596340,
    }
    text = ct.render_section(_record(), build, {})
    assert ".venv/bin/python scripts/compress_table.py measure   # table.json" in text  # as run
    assert "scripts/compress_table.py elo --games 100" in text
    assert "Timings provisional" in text and "abc+dirty" in text and "Test CPU" in text
    assert "`.venv/bin/zerogo compress quantize -o x.onnx` | 12 | 0.60 |" in text
    assert ct.render_table(_record(), {}) in text


def test_table_stage_reads_the_records_and_writes_the_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "table.json").write_text(json.dumps(_record()))
    match = tmp_path / "matches" / "sparse50"
    match.mkdir(parents=True)
    (match / "summary.json").write_text(
        json.dumps({"results": [{}] * 2, "engine2": {"wins": 1, "losses": 1}, "draws": 0,
                    "elo": 0.0, "elo_interval": [-400.0, 400.0]})
    )  # fmt: skip
    section = tmp_path / "SECTION.md"
    assert ct.main(["table", "--out-dir", str(tmp_path), "--section", str(section)]) == 0
    assert "+0 [-400, +400], 2 games" in capsys.readouterr().out
    assert "(not built yet)" in section.read_text()
    assert ct.main(["table", "--out-dir", str(tmp_path / "none")]) == 2


@pytest.mark.slow
def test_build_and_measure_a_tiny_network_end_to_end(tmp_path: Path) -> None:
    """b2c16, a few samples: the float32 export and the 50% channel-pruned form are
    built by their commands, then measured with the original."""
    pytest.importorskip("openvino")
    import torch

    from engine.features import FeatureConfig
    from nn.checkpoint import save_checkpoint
    from nn.go_net import GoNet, preset

    torch.manual_seed(0)
    features = FeatureConfig()
    config = preset("b2c16", 9, features.num_planes)
    weights = tmp_path / "tiny.pt"
    save_checkpoint(weights, GoNet(config), config, {"name": "tiny"}, feature_config=features)
    common = ["--out-dir", str(tmp_path / "out"), "--weights", str(weights)]
    forms = ["--forms", "original", "f32-onnx", "i32"]
    assert ct.main(["build", *common, *forms, "--scale", "0.005"]) == 0
    build = json.loads((tmp_path / "out" / "build.json").read_text())
    assert set(build["forms"]) == {"f32-onnx", "i32"}
    assert "--finetune-samples 150" in build["forms"]["i32"]["compress_command"]
    assert build["forms"]["i32"]["cpu_seconds"] > 0
    assert build["forms"]["i32"]["git_commit"] and build["forms"]["i32"]["machine"]["cpu"]
    measure = ["--rounds", "1", "--seconds", "0.02", "--batch-sizes", "1", "16"]
    assert ct.main(["measure", *common, *forms, *measure]) == 0
    record = json.loads((tmp_path / "out" / "table.json").read_text())
    assert list(record["forms"]) == ["original", "f32-onnx", "i32"]
    assert record["machine"]["cpu"] and record["load_average_at_start"]
    original, export, pruned = record["forms"].values()
    assert original["accuracy"]["agreement"] == 1.0
    assert original["accuracy"]["value_mse_original"] == 0.0
    assert export["accuracy"]["agreement"] >= 0.99
    assert export["parameters"] == original["parameters"]
    assert pruned["network"] == "b2c16-i8" and pruned["parameters"] < original["parameters"]
    assert set(pruned["evals_per_s"]) == {"1", "16"} and original["speedup"]["16"] == 1.0


def test_elo_refuses_a_journal_of_another_network_file(tmp_path: Path) -> None:
    """A form rebuilt after its match began: the old games must not count for it."""
    form = _form("int8")
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / form.file).write_bytes(b"rebuilt")
    match = tmp_path / "matches" / "int8"
    match.mkdir(parents=True)
    (match / "network.json").write_text(json.dumps({"sha256": "0" * 64}))
    assert ct.main(["elo", "--out-dir", str(tmp_path), "--forms", "int8", "--games", "2"]) == 2
    assert json.loads((match / "network.json").read_text())["sha256"] == "0" * 64


def test_dataset_digest_names_the_manifest(tmp_path: Path) -> None:
    assert ct.dataset_digest(tmp_path) is None
    (tmp_path / "manifest.json").write_text("{}")
    assert ct.dataset_digest(tmp_path) == (
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    )
