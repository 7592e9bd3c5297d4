"""zerogo's top floor: the ``zerogo`` command and the player factory."""

__version__ = "0.1.0"
