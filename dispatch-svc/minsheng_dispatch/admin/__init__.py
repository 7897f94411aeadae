"""The center's administration of dispatch: units, categories and the routing table
with their history (Art. 8), the project registry (Art. 43), the dispatch queue
(Art. 12) and named responsibilities (Art. 25, 26)."""

from __future__ import annotations

from fastapi import APIRouter

from minsheng_dispatch.admin import api_projects, api_queue, api_registry

router = APIRouter()
router.include_router(api_registry.router)
router.include_router(api_projects.router)
router.include_router(api_queue.router)

__all__ = ["router"]
