"""Alembic environment of the Open311 server's store."""

from minsheng_common.bus.tables import bus_metadata
from minsheng_common.migrations import run_env
from minsheng_open311.models import Base

run_env([Base.metadata, bus_metadata])
