"""states: procedures as data."""
