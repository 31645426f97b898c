"""Safe cells for CSV and Excel exports: what a spreadsheet would run as a formula is shown as text."""

from __future__ import annotations

import json
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Lists and maps as JSON; text that starts like a formula gets a leading apostrophe (OWASP CSV injection)."""
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
