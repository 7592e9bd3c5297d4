"""Tests of the pygame window (gui/), run headless with SDL's dummy video driver."""
