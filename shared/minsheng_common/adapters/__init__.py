"""What every channel adapter shares (Art. 4, 5): a store of the items it took on, the
loop that delivers them to intake in order and exactly once per channel reference,
the intake client, signed pushes with their replay record, and the settings."""
