"""`python -m minsheng_analytics serve | migrate | republish --since TIME`."""

from __future__ import annotations

from minsheng_analytics.app import MIGRATIONS, create_app
from minsheng_analytics.settings import AnalyticsSettings
from minsheng_common import cli


def main() -> None:
    cli.run(
        settings_factory=AnalyticsSettings,
        app_factory=create_app,  # type: ignore[arg-type]
        script_location=MIGRATIONS,
    )


if __name__ == "__main__":
    main()
