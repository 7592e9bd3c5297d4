"""The PV model (zerogo.pv_model): tokens, data from shards, symmetries, files, prediction,
metrics, and the training script end to end on a tiny dataset.

Models here are tiny (16 channels, one block) on 5x5 boards unless a test needs the
9x9 defaults; positions are written as GTP vertices.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from engine import symmetry
from engine.board import BLACK, WHITE
from engine.features import features_from_moves
from engine.game import Game
from nn.sequence.sampling import IGNORE, sequence_loss, shift_right
from selfplay.shards import GameRecord, write_shard
from tests.conftest import vertex
from zerogo.pv_model import (
    DECODERS,
    PVConfig,
    PVModel,
    PVPredictor,
    augment,
    end_token,
    load_pv_data,
    load_pv_model,
    prefix_lengths,
    pv_tokens,
    replays_legally,
    save_pv_model,
    start_token,
)

SIZE = 5
END = SIZE * SIZE + 1


def tiny(decoder: str = "transformer", size: int = SIZE, **overrides: object) -> PVConfig:
    return PVConfig(size=size, decoder=decoder, max_moves=6, history=2, channels=16, blocks=1,
                    gru_hidden=16, gru_embed=8, wavenet_channels=8, wavenet_skip=8,
                    wavenet_dilations=(1, 2, 4), tf_d_model=16, tf_heads=2, tf_layers=1,
                    tf_ffn=16, **overrides)  # type: ignore[arg-type]  # fmt: skip


def v(names: str, size: int = SIZE) -> list[int]:
    return [vertex(name, size) for name in names.split()]


def record(
    moves: list[int], pvs: list[list[int]] | None, game_id: int = 1, size: int = SIZE
) -> GameRecord:
    n = len(moves)
    policy = (np.array([0], dtype=np.int16), np.array([1.0], dtype=np.float32))
    return GameRecord(game_id=game_id, size=size, komi=0.5, network="test", moves=moves,
                      policies=[policy] * n, policy_target=[True] * n, root_values=[0.0] * n,
                      result=1.0, score=0.5, resigned=False, no_resign=False, pvs=pvs)  # fmt: skip


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def test_tokens_are_the_pv_then_end_then_padding() -> None:
    assert pv_tokens(v("C3 D4"), SIZE, 4).tolist() == [*v("C3 D4"), END, IGNORE, IGNORE]
    assert pv_tokens(list(range(9)), SIZE, 4).tolist() == [0, 1, 2, 3, END]  # cut to 4 moves
    assert end_token(SIZE) == 26 and start_token(SIZE) == 27
    config = tiny()
    assert (config.vocab, config.input_vocab) == (27, 28)


def test_data_holds_the_positions_with_a_pv(tmp_path: Path) -> None:
    moves = v("C3 D4 B2 pass")
    pvs = [v("C3 D4"), [], v("B2 B3 pass"), []]
    write_shard(tmp_path / "a.npz", [record(moves, pvs), record(moves, None, game_id=2)])
    config = tiny()
    data = load_pv_data(tmp_path, config)
    assert len(data) == 2 and data.game_ids.tolist() == [1, 1]
    planes = features_from_moves(SIZE, moves, config.feature_config)
    assert np.array_equal(data.planes, planes[[0, 2]].astype(np.uint8))
    assert data.targets[1].tolist() == [*v("B2 B3"), SIZE * SIZE, END, IGNORE, IGNORE, IGNORE]
    assert len(load_pv_data(tmp_path / "none", config)) == 0


def test_a_symmetry_moves_the_pv_with_the_stones() -> None:
    config = tiny()
    planes = features_from_moves(SIZE, v("B4"), config.feature_config, include_final=True)[1:]
    targets = pv_tokens(v("B4 D2 pass"), SIZE, 6)[None]
    for k in range(8):
        moved_planes, moved = augment(planes.astype(np.uint8), targets, np.array([k]), SIZE)
        stone = int(np.flatnonzero(moved_planes[0, 1].reshape(-1))[0])  # the opponent's B4
        assert moved[0, 0] == stone == symmetry.apply_action(v("B4")[0], k, SIZE)
        assert moved[0, 1] == symmetry.apply_action(v("D2")[0], k, SIZE)
        assert moved[0, 2:].tolist() == targets[0, 2:].tolist()  # pass, END, padding


def test_prefix_length_counts_leading_agreement() -> None:
    targets = np.array(
        [[1, 2, 3, END, IGNORE], [1, 2, END, IGNORE, IGNORE], [4, END, IGNORE, IGNORE, IGNORE]]
    )
    predicted = np.array([[1, 2, 9, END, END], [1, 2, END, END, END], [5, END, END, END, END]])
    assert prefix_lengths(predicted, targets, SIZE).tolist() == [2, 2, 0]


@pytest.mark.parametrize("decoder", DECODERS)
def test_files_round_trip_and_refuse_others(tmp_path: Path, decoder: str) -> None:
    model = PVModel(tiny(decoder)).eval()
    path = save_pv_model(tmp_path / "pv.pt", model, {"name": "x"})
    back, metadata = load_pv_model(path)
    assert metadata == {"name": "x"} and back.config == model.config
    x = torch.rand(2, model.config.feature_config.num_planes, SIZE, SIZE).round()
    inputs = torch.randint(0, model.config.input_vocab, (2, 4))
    assert torch.equal(back(x, inputs), model(x, inputs))
    bad = tmp_path / "bad.pt"
    torch.save({"format": "zerogo-pv-model", "version": 1, "config": tiny(decoder).to_dict(),
                "state_dict": {"nope": torch.zeros(1)}}, bad)  # fmt: skip
    with pytest.raises(ValueError, match="does not fit"):
        load_pv_model(bad)
    torch.save({"format": "zerogo-checkpoint"}, bad)
    with pytest.raises(ValueError, match="not a zerogo PV model"):
        load_pv_model(bad)
    torch.save(argparse_namespace(), bad)  # an object: refused by weights_only
    with pytest.raises(ValueError, match="safe"):
        load_pv_model(bad)
    with pytest.raises(FileNotFoundError):
        load_pv_model(tmp_path / "missing.pt")


def argparse_namespace() -> object:
    import argparse

    return argparse.Namespace(a=1)


@pytest.mark.parametrize("decoder", DECODERS)
def test_predicted_lines_are_legal_for_either_colour(decoder: str) -> None:
    predictor = PVPredictor(PVModel(tiny(decoder)))
    game = Game(SIZE)
    for name in "C3 C2 B3 B2 D2 D3 A2".split():  # crowd the board a little
        game.play(vertex(name, SIZE))
    for color in (BLACK, WHITE):
        line = predictor.predict(game, color)
        assert line.color == color and len(line.moves) <= 6
        assert replays_legally(game.board, color, line.moves)
        assert len(line.probabilities) == len(line.moves)
        assert all(0 < p <= 1 for p in line.probabilities)
    with pytest.raises(ValueError):
        predictor.predict(Game(SIZE + 2))


@pytest.mark.parametrize("decoder", DECODERS)
def test_a_decoder_learns_one_line_by_heart(decoder: str) -> None:
    # the plumbing (shift, loss, greedy decoding) agrees: a fixed position's line is
    # learnt in 30 steps and decoded back exactly
    config = tiny(decoder)
    model = PVModel(config)
    planes = torch.from_numpy(
        features_from_moves(SIZE, v("C3"), config.feature_config, include_final=True)[1:]
    ).repeat(2, 1, 1, 1)
    line = v("D4 B2 B4 D2")
    targets = torch.from_numpy(pv_tokens(line, SIZE, config.max_moves)).repeat(2, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-2)
    for _ in range(30):
        loss = sequence_loss(model(planes, shift_right(targets, start_token(SIZE))), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    # still in train mode: 30 steps leave the batch norms' running statistics unsettled
    decoded = model.decode(planes[:1])[0].tolist()
    assert decoded[:5] == [*line, END], (float(loss), decoded)


def test_config_is_checked_and_round_trips() -> None:
    config = tiny("wavenet")
    assert PVConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError):
        PVConfig(decoder="lstm")
    with pytest.raises(ValueError):
        PVConfig.from_dict({**config.to_dict(), "colour": 1})
    assert dataclasses.replace(config, size=9).vocab == 83


def test_training_script_writes_its_records(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    import train_pv

    rng = np.random.default_rng(0)
    for split, ids in (("train", (1, 2, 3)), ("test", (4,))):
        games = []
        for game_id in ids:
            game, moves, pvs = Game(9), [], []
            for _ in range(6):
                legal = np.flatnonzero(game.board.legal_mask()[:-1])
                move = int(rng.choice(legal))
                moves.append(move)
                pvs.append([move, int(rng.choice(legal))])
                game.play(move)
            games.append(record(moves, pvs, game_id=game_id, size=9))
        write_shard(tmp_path / "data" / split / "shard-0000.npz", games)
    out = tmp_path / "out"
    code = train_pv.main(["--data", str(tmp_path / "data"), "--out", str(out), "--samples", "16",
                          "--batch", "8", "--decoders", "gru,wavenet", "--modes", "tf,ss",
                          "--reference", "", "--speed-seconds", "0.01", "--quiet",
                          "--ship", str(tmp_path / "best.pt")])  # fmt: skip
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    names = [r["name"] for r in results]
    assert names == ["prior", "gru-tf", "gru-ss", "wavenet-tf", "wavenet-ss"]
    run = json.loads((out / "gru-ss.json").read_text())
    for key in ("first_move_top1", "mean_prefix_length", "perplexity", "sequences_per_s_batch64",
                "params", "macs", "cpu_seconds_train"):  # fmt: skip
        assert key in run
    assert run["positions"] == 6 and run["mode"] == "ss"
    model, metadata = load_pv_model(tmp_path / "best.pt")
    assert metadata["name"] in names and model.config.size == 9
