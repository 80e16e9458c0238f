"""Optional online geocoder (Nominatim-compatible `?q=…&format=json`); never required.

Used only when settings.geocoder_url is set; any failure means "not found".
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

TIMEOUT_SECONDS = 3.0


def geocode(query: str, base_url: str) -> tuple[float, float] | None:
    params = urllib.parse.urlencode(
        {"q": query, "format": "json", "countrycodes": "de", "limit": 1}
    )
    request = urllib.request.Request(
        f"{base_url.rstrip('/')}?{params}", headers={"User-Agent": "quartierslotse/0.1"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            results = json.loads(response.read())
        return float(results[0]["lat"]), float(results[0]["lon"])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None
