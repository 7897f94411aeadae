"""`python -m minsheng_dispatch serve | migrate | republish --since TIME`."""

from __future__ import annotations

from minsheng_common import cli
from minsheng_dispatch.app import MIGRATIONS, create_app
from minsheng_dispatch.settings import DispatchSettings


def main() -> None:
    cli.run(
        settings_factory=DispatchSettings,
        app_factory=create_app,  # type: ignore[arg-type]
        script_location=MIGRATIONS,
    )


if __name__ == "__main__":
    main()
