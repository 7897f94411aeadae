"""`python -m minsheng_sla serve | migrate | republish --since TIME`."""

from __future__ import annotations

from minsheng_common import cli
from minsheng_sla.app import MIGRATIONS, create_app
from minsheng_sla.settings import SlaSettings


def main() -> None:
    cli.run(
        settings_factory=SlaSettings,
        # cli.run hands over the settings its factory made, which are SlaSettings;
        # its signature only knows the common base class.
        app_factory=create_app,  # type: ignore[arg-type]
        script_location=MIGRATIONS,
    )


if __name__ == "__main__":
    main()
