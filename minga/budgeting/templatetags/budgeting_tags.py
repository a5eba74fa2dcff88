from typing import Any

from django import template

from minga.budgeting.formatting import money_cents

register = template.Library()

BAR_HEIGHT = 16
ROW_HEIGHT = 44
LABEL_WIDTH = 0
CHART_WIDTH = 600
BAR_MAX = 440


@register.filter
def money(cents: int | None) -> str:
    """Cents as whole currency units with the active language's separators (as the services'
    messages write them): 1234500 -> "12 345" in Spanish, "12,345" in English."""
    return money_cents(cents)


@register.inclusion_tag("budgeting/_chart.html")
def bar_chart(chart_id: str, title: str, bars: list[Any], value_label: str) -> dict[str, Any]:
    """A horizontal bar chart drawn on the server as SVG, with its data as a table (the text
    alternative for screen readers and for anyone who wants the numbers)."""
    rows = []
    for index, bar in enumerate(bars):
        y = index * ROW_HEIGHT
        rows.append(
            {
                "bar": bar,
                "label_y": y + 14,
                "bar_y": y + 20,
                "width": round(bar.percent * BAR_MAX / 100, 2),
                "text_x": round(bar.percent * BAR_MAX / 100, 2) + 6,
                "text_y": y + 20 + BAR_HEIGHT - 3,
            }
        )
    return {
        "chart_id": chart_id,
        "title": title,
        "rows": rows,
        "height": max(len(rows), 1) * ROW_HEIGHT,
        "width": CHART_WIDTH,
        "bar_height": BAR_HEIGHT,
        "value_label": value_label,
    }
