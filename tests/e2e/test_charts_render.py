"""The charts in a real browser: Chart.js (vendored) and charts.js draw what
`reports/_chart.html` serves, under the site's own Content-Security-Policy.

No product page shows a chart yet, and a test-only URL has no place in the product, so the
test builds a static page of its own: the include rendered for a line chart, a bar chart with
a target, a heat map and an empty chart, written to a temporary folder with the static files
it loads copied beside it. Chromium fetches it from a made-up origin that the test answers
from that folder (Playwright's routing), sending the CSP header built from
`settings.SECURE_CSP`: a file:// page would leave 'self' meaning nothing clear. Every request
to any other origin is refused and recorded, so nothing is fetched from the internet."""

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.csp import build_policy, generate_nonce
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Route, expect

from casedesk.reports.charts import Chart, Series, bar_chart, heatmap, line_chart

pytestmark = pytest.mark.e2e

ORIGIN = "http://charts.casedesk.test"
STATIC_FILES = [
    "console/console.css",
    "reports/reports.css",
    "reports/vendor/chart.umd.min.js",
    "reports/charts.js",
]
TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript"}
# An attempt at markup in a label: drawn on the canvas as text, never run.
HOSTILE = '<img src=x onerror="window.pwned = 1">Billing'

# Counts the pixels of the canvas by colour: `inked` ones (drawn, opaque enough to see), those
# near each of the given colours, and the dark ones in one column (the target line).
PIXELS = """
(canvas, [colours, column]) => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const wanted = colours.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
  const near = wanted.map(() => 0);
  let inked = 0, darkInColumn = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [red, green, blue, alpha] = data.slice(i, i + 4);
    if (alpha < 200) continue;
    inked++;
    wanted.forEach(([r, g, b], k) => {
      if (Math.abs(red - r) + Math.abs(green - g) + Math.abs(blue - b) < 40) near[k]++;
    });
    const dark = red < 90 && green < 90 && blue < 90;
    if (column !== null && Math.abs((i / 4) % canvas.width - column) <= 1 && dark) darkInColumn++;
  }
  return {inked, near, darkInColumn};
}
"""

# The lines of the tooltip Chart.js shows over the index-th label (every dataset there).
TOOLTIP = """
(canvas, index) => {
  const chart = Chart.getChart(canvas);
  const active = chart.data.datasets.map((_, datasetIndex) => ({datasetIndex, index}));
  chart.tooltip.setActiveElements(active, {x: 0, y: 0});
  chart.update();
  return chart.tooltip.body.flatMap((item) => item.lines);
}
"""


def charts() -> list[Chart]:
    days = [f"{d} Nov" for d in range(1, 15)]
    created = [12, 15, 9, 20, 18, 4, 3, 14, 16, 11, 19, 17, 5, 2]
    resolved: list[float | None] = [10, 14, 11, None, 19, 6, 2, 13, 15, 12, 18, 16, 6, 3]
    volume = line_chart(
        "Volume by day", days, [Series("Created", created), Series("Resolved", resolved)],
        y_label="Cases", unit="cases", chart_id="volume", x_label="Day",
    )
    sla = bar_chart(
        "SLA attainment by queue", ["Support", HOSTILE, "Quiet"], [96.5, 71.25, None], unit="%",
        target=90, chart_id="sla", label_header="Queue", value_header="Attainment",
    )
    values = [[(d * 24 + h) % 7 if 8 <= h < 18 else 0 for h in range(24)] for d in range(7)]
    heat = heatmap(
        "Created by weekday and hour", ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        [f"{h:02d}" for h in range(24)], values, chart_id="heat",
    )
    empty = line_chart(
        "CSAT", ["1 Nov"], [Series("Satisfied", [None])], y_label="%", unit="%", chart_id="csat"
    )
    return [volume, sla, heat, empty]


def build_site(folder: Path, shown: list[Chart]) -> None:
    """The page as a report page would be (its head loads what _chart.html asks for), and the
    static files it names, copied from the apps' static folders."""
    for name in STATIC_FILES:
        found = finders.find(name)
        assert isinstance(found, str), name
        target = folder / "static" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(found, target)
    figures = "\n".join(render_to_string("reports/_chart.html", {"chart": c}) for c in shown)
    (folder / "index.html").write_text(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Charts</title>\n"
        '<link rel="stylesheet" href="/static/console/console.css">\n'
        '<link rel="stylesheet" href="/static/reports/reports.css">\n'
        '<script src="/static/reports/vendor/chart.umd.min.js" defer></script>\n'
        '<script src="/static/reports/charts.js" defer></script>\n'
        f'</head><body><main><div class="report-charts">{figures}</div></main></body></html>\n',
        encoding="utf-8",
    )


class Site:
    """Answers the made-up origin from the folder, with the product's CSP on the page."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.served: list[str] = []
        self.refused: list[str] = []

    def handle(self, route: Route) -> None:
        url = route.request.url
        if not url.startswith(ORIGIN + "/"):
            self.refused.append(url)
            route.abort()
            return
        path = url.removeprefix(ORIGIN).split("?")[0]
        file = self.folder / ("index.html" if path == "/" else path.lstrip("/"))
        if not file.is_file():
            self.refused.append(url)
            route.fulfill(status=404, body="not found")
            return
        self.served.append(path)
        headers = {"Content-Type": f"{TYPES[file.suffix]}; charset=utf-8"}
        if file.suffix == ".html":
            headers["Content-Security-Policy"] = build_policy(
                settings.SECURE_CSP, nonce=generate_nonce()
            )
        route.fulfill(status=200, headers=headers, body=file.read_bytes())


def open_site(context: BrowserContext, folder: Path) -> tuple[Page, Site, list[str]]:
    site = Site(folder)
    context.route("**/*", site.handle)
    page = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.goto(f"{ORIGIN}/")
    return page, site, errors


def test_charts_are_drawn_by_chart_js_under_the_sites_csp(
    new_context: Callable[..., BrowserContext], tmp_path: Path
) -> None:
    shown = charts()
    volume, sla, heat, empty = shown
    build_site(tmp_path, shown)
    page, site, errors = open_site(new_context(), tmp_path)

    drawn = page.locator("figure.chart.chart-drawn")
    expect(drawn).to_have_count(2)
    assert page.evaluate("typeof window.Chart.getChart") == "function"
    assert page.evaluate("window.Chart.version") == "4.6.2"

    for chart in (volume, sla):
        spec: dict[str, Any] | None = chart.spec
        assert spec is not None
        figure = page.locator(f"#{chart.chart_id}")
        canvas = figure.locator("canvas")
        # Chart.js sized the canvas through the CSSOM (allowed by the CSP) to its box.
        size = canvas.evaluate("c => [c.width, c.height, c.style.width, c.style.height]")
        assert size[0] > 300 and size[1] > 100 and size[2].endswith("px"), size
        # It drew exactly the spec's data.
        datasets = canvas.evaluate("c => Chart.getChart(c).data.datasets.map(d => d.data)")
        assert datasets == [d["data"] for d in spec["data"]["datasets"]]
        # Drawn, the table is folded away, one click from the picture.
        details = figure.locator("details.chart-data")
        expect(details).not_to_have_attribute("open", "")
        expect(figure.locator("table.chart-table")).to_be_hidden()
        figure.get_by_text("Data as a table").click()
        expect(figure.locator("table.chart-table")).to_be_visible()

    line_canvas = page.locator("#volume canvas")
    counts = line_canvas.evaluate(PIXELS, [["#0072B2", "#D55E00"], None])
    assert counts["inked"] > 2000, counts
    assert min(counts["near"]) > 100, counts  # both lines, each in its colour

    bar_canvas = page.locator("#sla canvas")
    target_x = bar_canvas.evaluate("c => Chart.getChart(c).scales.x.getPixelForValue(90)")
    counts = bar_canvas.evaluate(PIXELS, [["#0072B2", "#D55E00"], round(target_x)])
    # A bar above the target and one below it, in their two colours, and the dashed line.
    assert min(counts["near"]) > 300, counts
    assert counts["darkInColumn"] > 20, counts
    expect(page.locator("#sla table.chart-table tbody tr").nth(1)).to_contain_text(
        "71.3"
    )
    assert page.evaluate("window.pwned") is None
    # Hover texts carry the unit, formatted as the table has it.
    assert bar_canvas.evaluate(TOOLTIP, 1) == ["71.3%"]
    assert line_canvas.evaluate(TOOLTIP, 3) == ["Created: 20 cases", "Resolved: —"]

    # The heat map is a table: its numbers, each on its level's colour from reports.css.
    heat_table = page.locator("#heat table.heatmap")
    expect(heat_table).to_be_visible()
    assert page.locator("#heat canvas").count() == 0
    busiest = page.locator("#heat td.heat-6").first
    expect(busiest).to_have_text("6")
    assert busiest.evaluate("td => getComputedStyle(td).backgroundColor") == "rgb(8, 81, 156)"
    quiet = page.locator("#heat td.heat-0").first
    assert quiet.evaluate("td => getComputedStyle(td).backgroundColor") == "rgb(240, 240, 240)"

    expect(page.locator("#csat")).to_contain_text("No data for this period")
    assert page.locator("#csat canvas").count() == 0

    assert errors == []
    assert site.refused == []
    assert sorted(site.served) == sorted(["/", *(f"/static/{name}" for name in STATIC_FILES)])


def test_without_javascript_every_number_is_on_the_page(
    new_context: Callable[..., BrowserContext], tmp_path: Path
) -> None:
    shown = charts()
    volume, sla, _, _ = shown
    build_site(tmp_path, shown)
    page, _, errors = open_site(new_context(java_script_enabled=False), tmp_path)

    for chart in (volume, sla):
        figure = page.locator(f"#{chart.chart_id}")
        # The canvas stands for its fallback text; the table is open.
        expect(figure.locator("canvas p.chart-summary")).to_have_text(chart.summary)
        table = figure.locator("table.chart-table")
        expect(table).to_be_visible()
        rows: Any = table.locator("tbody tr").evaluate_all(
            "trs => trs.map(tr => [...tr.children].map(c => c.textContent))"
        )
        assert rows == [list(row) for row in chart.table.rows]
    expect(page.locator("#heat td.heat-6").first).to_be_visible()
    assert errors == []
