"""Alembic environment of intake's store. Every module with tables is imported so
`Base.metadata` holds them all."""

from minsheng_common.bus.tables import bus_metadata
from minsheng_common.migrations import run_env
from minsheng_intake.models import Base
from minsheng_intake.tables import all_tables

all_tables()
run_env([Base.metadata, bus_metadata])
