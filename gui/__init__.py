"""Playing surfaces for people: the terminal game (and, later, the pygame window)."""
