"""Every module of intake that defines tables, imported so `Base.metadata` holds all
of them (for migrations and for creating a test store)."""

from __future__ import annotations

from sqlalchemy import MetaData

from minsheng_intake import models
from minsheng_intake.classification import models as classification_models
from minsheng_intake.knowledge import models as knowledge_models
from minsheng_intake.sameness import models as sameness_models

MODULES = (models, classification_models, knowledge_models, sameness_models)


def all_tables() -> MetaData:
    """Intake's metadata with the tables of every module."""
    return models.Base.metadata
