"""What the server sends to intake, and what its operators see of the requests on
their way there."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from minsheng_common.adapters import schemas
from minsheng_common.adapters.schemas import Contact, Coordinates

__all__ = ["CanonicalAppeal", "Contact", "Coordinates", "RequestItem"]


class CanonicalAppeal(schemas.CanonicalAppeal):
    """An appeal in intake's canonical form (`POST /v1/appeals`), with what a 311
    client may also say: a second contact, the citizen's name, and consent to
    disclose them to the unit."""

    category_hint: str = Field(description="the service_code the client chose")
    second_contact: Contact | None = None
    name: str | None = None
    consent_to_disclose: bool = False


class RequestItem(schemas.DeliveryState):
    """A request on its way to intake: no words, contact or place of the
    citizen's."""

    service_code: str
    requested_at: AwareDatetime
    client_id: str = Field(description="the key of the 311 client that filed it")
