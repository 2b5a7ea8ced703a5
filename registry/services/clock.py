"""Civil time for certificates: dates are China Standard Time whatever the server's zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
