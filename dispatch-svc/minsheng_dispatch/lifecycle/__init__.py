"""The life of a work order after dispatch: returns (Art. 13), progress, extensions
(Art. 16), the handling notice (Art. 29), closure and its review (Art. 17), staged
closures and their check, and reopening (重办)."""
