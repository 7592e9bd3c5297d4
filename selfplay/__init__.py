"""Self-play: the worker that plays a network against itself and writes game shards."""
