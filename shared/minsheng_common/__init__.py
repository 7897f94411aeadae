"""Minsheng's common library: everything services share and nothing they decide."""
