"""Tests of the self-play package: shards, the self-play worker and the arena."""
