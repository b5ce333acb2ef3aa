"""Account names the project gives itself.

Pure: no Dagster or database import.
"""

from __future__ import annotations

# The account the bundled demo library syncs into (embedded database only).
DEMO_ACCOUNT = "demo"
# The account an export file syncs into, and the one `auth login` stores, when none is named.
DEFAULT_ACCOUNT = "default"
