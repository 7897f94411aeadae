"""Alembic environment of the AI + video adapter's store."""

from minsheng_aivideo.models import Base
from minsheng_common.bus.tables import bus_metadata
from minsheng_common.migrations import run_env

run_env([Base.metadata, bus_metadata])
