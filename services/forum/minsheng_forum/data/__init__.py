"""Data shipped with the forum adapter: the real sample it replays."""
