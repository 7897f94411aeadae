"""The AI + video adapter's settings (environment prefix `AIVIDEO_`); intake, the
push secrets and the delivery's pace are every single-channel adapter's
(`SingleChannelSettings`)."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar, Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from minsheng_common.adapters.schemas import Contact
from minsheng_common.adapters.settings import SingleChannelSettings


class AivideoSettings(SingleChannelSettings):
    service_name: ClassVar[str] = "aivideo"
    model_config = SettingsConfigDict(env_prefix="AIVIDEO_", extra="ignore")

    port: int = 8013
    channel: str = Field(
        default="ai-video",
        min_length=1,
        max_length=50,
        description="the channel id the appeals arrive under (AI+视频)",
    )
    min_confidence: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="detections below this confidence are recorded, not delivered",
    )
    fold_window_minutes: float = Field(
        default=30,
        gt=0,
        description="detections of one kind at one camera less than this apart "
        "from an appeal's first detection are that appeal, not a new one",
    )
    snapshot_max_bytes: int = Field(
        default=5_000_000, ge=1024, description="a larger snapshot is refused (422)"
    )
    snapshot_timeout_seconds: float = Field(default=10.0, gt=0)
    snapshot_hosts: str = Field(
        default="",
        description="hosts snapshots are fetched from (host or host:port), "
        "comma-separated; empty takes any outside production, where it is required",
    )
    public_url: str = Field(
        default="",
        description="where intake's readers reach this adapter, to open the "
        "snapshots attached to the appeals; default http://<host>:<port>",
    )
    duty_contact: str = Field(
        default="",
        max_length=200,
        description="how to reach the video centre's duty desk, the appeal's contact "
        "(Art. 11(2)1); required in production, and without it intake does not "
        "file the appeals",
    )
    duty_contact_kind: Literal["phone", "email"] = "phone"

    def fold_window(self) -> timedelta:
        return timedelta(minutes=self.fold_window_minutes)

    def snapshot_host_set(self) -> frozenset[str]:
        return frozenset(
            host.strip().lower()
            for host in self.snapshot_hosts.split(",")
            if host.strip()
        )

    def snapshot_base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def contact(self) -> Contact | None:
        value = self.duty_contact.strip()
        return Contact(kind=self.duty_contact_kind, value=value) if value else None

    def check_production(self) -> None:
        """Besides the key and the secrets: the duty desk's contact, the hosts
        snapshots come from, and the address intake's readers reach."""
        super().check_production()
        if not self.is_production:
            return
        for field, missing in (
            ("duty_contact", self.contact() is None),
            ("snapshot_hosts", not self.snapshot_host_set()),
            ("public_url", not self.public_url.strip()),
        ):
            if missing:
                raise ValueError(f"production needs {self.setting_name(field)}")
