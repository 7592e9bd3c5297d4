"""Self-play workers as Ray actors on a two-node Ray cluster (both nodes on this machine).

One ``ray.cluster_utils.Cluster`` (a head and a second node, one CPU each, so the two
workers land on different nodes) serves the module.  A worker killed with SIGKILL is
replaced and no finished game is lost; ``zerogo train --ray ADDRESS --train-procs 2``
runs a whole generation of the loop on it.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from selfplay.journal import list_journals, read_journal, shard_path_for
from selfplay.shards import list_shards, read_shard
from selfplay.worker import FINISHED_LOG_ENV, SelfPlayConfig


@pytest.fixture(scope="module")
def finished_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ray") / "finished.txt"


@pytest.fixture(scope="module")
def cluster(finished_log: Path) -> Iterator[str]:
    """A head node and one more node, one CPU each; yields the address."""
    import ray
    from ray.cluster_utils import Cluster

    # the nodes' workers inherit this process's environment at start-up
    os.environ[FINISHED_LOG_ENV] = str(finished_log)
    nodes = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False}
    )
    nodes.add_node(num_cpus=1)
    ray.init(address=nodes.address, log_to_driver=False)
    try:
        yield nodes.address
    finally:
        ray.shutdown()
        nodes.shutdown()
        os.environ.pop(FINISHED_LOG_ENV, None)


def tiny_network(path: Path) -> Path:
    import torch

    from engine.features import FeatureConfig
    from nn.checkpoint import save_checkpoint
    from nn.go_net import GoNet, preset

    torch.manual_seed(0)
    features = FeatureConfig()
    config = preset("b2c16", 5, features.num_planes)
    save_checkpoint(path, GoNet(config), config, {"name": "tiny"}, feature_config=features)
    return path


def games_on_disk(directory: Path) -> list[int]:
    """Every finished game id in shards and uncompacted journals (duplicates repeat)."""
    ids = [int(i) for path in list_shards(directory) for i in read_shard(path)["game_ids"]]
    for journal in list_journals(directory):
        if not shard_path_for(journal).exists():
            ids.extend(g.game_id for g in read_journal(journal))
    return ids


def test_a_sigkilled_worker_is_replaced_and_loses_no_finished_game(
    cluster: str, finished_log: Path, tmp_path: Path
) -> None:
    import ray

    from selfplay.process import run_workers_ray

    checkpoint = tiny_network(tmp_path / "tiny.pt")
    out = tmp_path / "shards"
    # games stay in journals (64 per shard): only the journal saves the killed one's
    config = SelfPlayConfig(size=5, visits=16, slots=2, random_moves=4, games_per_shard=64)
    pids: dict[int, list[int]] = {}
    killed: list[int] = []

    def on_start(worker: int, pid: int) -> None:
        pids.setdefault(worker, []).append(pid)

    def kill_once() -> None:
        # kill worker 0 once it has a finished game of its own in its journal (a game
        # of worker 1 in the finished log would not test the recovery of worker 0's)
        if killed:
            return
        own = [j for j in list_journals(out) if "-w00-" in j.name]
        if any(read_journal(j) for j in own):
            os.kill(pids[0][-1], signal.SIGKILL)
            killed.append(1)

    reports = run_workers_ray(
        checkpoint, config, out, workers=2, games=12, seed=5, poll=kill_once,
        on_start=on_start, address=cluster, poll_s=0.1,
    )
    assert killed, "no worker was killed: the test did not test anything"
    assert reports[0].restarts == 1 and reports[1].restarts == 0
    assert len(pids[0]) == 2 and len(pids[1]) == 1
    nodes = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
    assert len(nodes) == 2
    on_disk = games_on_disk(out)
    assert len(on_disk) == len(set(on_disk)) == 12  # each worker's quota, nothing twice
    reported = {int(x) for x in finished_log.read_text().split()}
    assert reported <= set(on_disk), "a game reported finished was lost"
    assert sum(r.games for r in reports) == 12
    assert reports[0].recovered_games >= 1
    assert not list_journals(out)  # every journal compacted


def test_train_with_ray_and_two_training_processes_runs_the_loop(
    cluster: str, tmp_path: Path
) -> None:
    import argparse

    from zerogo.pipeline import Pipeline
    from zerogo.train import add_arguments, build_config

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    run_dir = tmp_path / "run"
    args = parser.parse_args(
        [
            "--run-dir", str(run_dir), "--ray", cluster, "--train-procs", "2",
            "--size", "5", "--preset", "b2c16", "--games-per-generation", "8",
            "--min-games", "8", "--workers", "2", "--visits", "8", "--slots", "4",
            "--games-per-shard", "4", "--gate-games", "4", "--gate-visits", "8",
            "--batch-size", "16", "--dtype", "float32", "--window", "100",
            "--random-moves", "4",
        ]
    )
    config = build_config(args)
    assert (config.ray, config.train_procs) == (cluster, 2)
    state = Pipeline(run_dir, config, log=lambda line: None).run(generations=1)
    assert state.promotions + state.rejections == 1
    assert len(games_on_disk(run_dir / "shards")) >= 8
    history = [json.loads(x) for x in (run_dir / "history.jsonl").read_text().splitlines()]
    assert history[0]["games"] >= 1
    assert state.trainee_step > 0 and (run_dir / "trainee.pt").exists()
    assert parser.parse_args(["--run-dir", "x", "--ray"]).ray == "local"
