"""Alembic environment of the WeChat adapter's store."""

from minsheng_common.bus.tables import bus_metadata
from minsheng_common.migrations import run_env
from minsheng_wechat.models import Base

run_env([Base.metadata, bus_metadata])
