"""Tests of engine.envs (mirrors the package)."""
