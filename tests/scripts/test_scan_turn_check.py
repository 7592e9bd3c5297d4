"""scripts/scan_turn_check.py: what the two readings' vote would flag, per threshold."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.scripts import load_script
from zerogo.scan.read import ScanResult


@pytest.fixture(scope="module")
def scan_turn_check():
    return load_script("scan_turn_check")


def reading(stones, confidence, flagged) -> ScanResult:
    n = len(stones)
    return ScanResult(
        n, np.array(stones, np.int8), np.array(confidence), np.zeros((n, n), bool),
        np.array(flagged), np.zeros((4, 2)), np.zeros((4, 2)),
    )  # fmt: skip


def test_the_vote_counts_the_points_it_would_newly_flag(scan_turn_check) -> None:
    truth = np.array([[1, 0], [2, 2]], np.int8)
    # the first reading: one stone missed at (1, 1); (0, 0) already flagged
    found = reading([[1, 0], [2, 0]], [[0.5, 0.97], [0.94, 0.96]], [[True, False], [False, False]])
    other = reading([[1, 0], [2, 2]], [[0.9, 0.99], [0.99, 0.7]], [[False] * 2] * 2)
    wrong = found.stones != truth
    right = ~wrong
    vote = scan_turn_check._vote(found, other, wrong, right, (0.9, 0.95))
    # 0.9: the missed stone (called otherwise); 0.95: also (1, 0), its own 0.94 under it
    assert vote == {"0.9": [1, 0], "0.95": [1, 1]}


def test_the_record_keeps_one_line_per_photo(scan_turn_check) -> None:
    result = {"command": "x", "per_size": {"9": {"photos": 2}}, "photos": [{"index": 0}, {"i": 1}]}
    text = scan_turn_check.render(result)
    assert json.loads(text) == result
    assert '    {"index": 0},\n    {"i": 1}\n' in text
    assert json.loads(scan_turn_check.render({**result, "photos": []}))["photos"] == []
