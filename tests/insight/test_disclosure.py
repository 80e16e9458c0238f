from collections import Counter
from datetime import date

from insight.disclosure import Disclosure
from insight.presentation import build_tables
from insight.report import Report, ReportFilter

D = Disclosure(min_count=5, rounding_base=5)


def test_small_counts_are_suppressed_and_the_rest_rounded() -> None:
    assert [D.text(n) for n in (0, 1, 4)] == ["<5", "<5", "<5"]
    assert [D.value(n) for n in (0, 4)] == [None, None]
    assert [D.value(n) for n in (5, 7, 8, 12, 13, 10001)] == [5, 5, 10, 10, 15, 10000]
    assert D.text(10001) == "10.000"


def test_shares_need_enough_cases_on_both_sides() -> None:
    assert D.share_text(4, 100) == "–"  # 4 people
    assert D.share_text(97, 100) == "–"  # 3 people without
    assert D.share_text(10, 100) == "10 %"


def test_suppressed_cell_cannot_be_recovered_from_totals_or_overlapping_ranges() -> None:
    """Differencing published numbers leaves an interval that covers the whole range 0..4."""
    for total_other in range(5, 60):
        for hidden in range(0, 5):
            total = total_other + hidden
            published_total, published_other = D.value(total), D.value(total_other)
            assert published_total is not None and published_other is not None
            diff = published_total - published_other
            # what an attacker can conclude: hidden in (diff - 5, diff + 5) intersected with 0..4
            candidates = [h for h in range(0, 5) if diff - 5 < h < diff + 5]
            assert len(candidates) >= 4, (total_other, hidden, candidates)


def test_every_count_in_every_table_is_protected() -> None:
    report = Report(filter=ReportFilter(date(2026, 3, 1), date(2026, 3, 31)),
                    conversations=23, users=3, messages=51, fallback_messages=2, handoffs=4,
                    series=[("2026-03-02", 3, 2, 7), ("2026-03-03", 20, 15, 44)],
                    by_topic=[("pflege", 40), ("wohnen", 9), ("notfall", 2)],
                    by_channel=[("webchat", 19), ("telegram", 4)],
                    by_municipality=[("Dortmund", 22), ("Krefeld", 1)],
                    handoff_reasons=[("request", 3), ("emergency", 1)],
                    heatmap={(0, 9): 50, (6, 23): 1})
    tables = {t.key: t for t in build_tables(report, D)}
    cells = Counter()
    for table in tables.values():
        for row in table.rows:
            for cell in row[1:]:
                if isinstance(cell, int):
                    assert cell >= 5 and cell % 5 == 0
                    cells["shown"] += 1
                elif cell == "<5":
                    cells["suppressed"] += 1
    assert cells["suppressed"] > 0 and cells["shown"] > 0
    summary = dict((row[0], row[1]) for row in tables["summary"].rows)
    assert summary["Gespräche"] == 25
    assert summary["Nutzerinnen und Nutzer (verschieden)"] == "<5"
    assert summary["Anteil Gespräche mit Übergabe"] == "–"  # only 4 handoffs
    assert dict(tables["municipalities"].rows)["Krefeld"] == "<5"
    heat = tables["heatmap"].rows
    assert heat[0][1 + 9] == 50 and heat[6][1 + 23] == "<5" and heat[3][1 + 3] == "<5"
