"""Small-count protection for everything insight shows or exports.

Policy (applied to every count: cells, totals, series, heat-map cells, bucket counts):
  1. a count below `min_count` (default 5, including 0) is shown as "<5";
  2. every other count is rounded to the nearest multiple of `rounding_base` (default 5),
     totals included, each computed from the exact data and rounded on its own;
  3. shares (handoff rate, "not understood") are only shown when both the part and the rest
     are >= min_count, as whole percent;
  4. waiting-time figures (median, 90 % value) only when >= min_count waits are behind them.

Why rounding rather than secondary suppression: the report can be requested for any date
range and any municipality, so a suppressed cell could otherwise be recovered by
differencing two overlapping reports (Jan 1–31 minus Jan 2–31) or a total minus the other
cells. With every published count rounded to 5, any such difference has an uncertainty of
±5, which covers the whole suppressed range 0–4; secondary suppression per table does not
protect against differencing across requests. This follows the practice of e.g. NHS Digital
("suppress small numbers, round the rest to the nearest 5").
"""

from __future__ import annotations

from dataclasses import dataclass

SUPPRESSED = "<5"


@dataclass(frozen=True)
class Disclosure:
    min_count: int = 5
    rounding_base: int = 5

    @property
    def suppressed_text(self) -> str:
        return f"<{self.min_count}"

    def value(self, n: int | None) -> int | None:
        """The publishable number, or None when it must be suppressed."""
        if n is None or n < self.min_count:
            return None
        base = max(1, self.rounding_base)
        return int((n + base / 2) // base * base)

    def text(self, n: int | None) -> str:
        shown = self.value(n)
        return self.suppressed_text if shown is None else format_int(shown)

    def share(self, part: int, total: int) -> float | None:
        if total <= 0 or part < self.min_count or total - part < self.min_count:
            return None
        return round(100.0 * part / total)

    def share_text(self, part: int, total: int) -> str:
        share = self.share(part, total)
        return "–" if share is None else f"{share:.0f} %"

    def allows_statistic(self, count: int) -> bool:
        return count >= self.min_count


def format_int(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes = seconds / 60
    if minutes < 1:
        return "unter 1 Min."
    if minutes < 90:
        return f"{minutes:.0f} Min."
    return f"{minutes / 60:.1f} Std.".replace(".", ",")
