"""Alembic environment of analytics' store."""

from minsheng_analytics.models import Base
from minsheng_common.bus.tables import bus_metadata
from minsheng_common.migrations import run_env

run_env([Base.metadata, bus_metadata])
