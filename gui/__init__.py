"""Playing surfaces for people: the terminal game and the pygame window (``gui.app``)."""
