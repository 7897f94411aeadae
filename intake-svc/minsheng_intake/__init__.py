"""Intake: every appeal from every channel enters here and is filed or not filed."""
