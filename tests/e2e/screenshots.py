"""Screenshots for docs/screenshots (not a test): python -m tests.e2e.screenshots [DATA_DIR]

Starts gunicorn on the given processed-data folder (default: data/processed) and saves the default view
(1366x768), a drill-down and the phone width (390x844)."""
from __future__ import annotations

import sys
from pathlib import Path


from tests.e2e.conftest import ROOT, served_chromium

OUT = ROOT / "docs" / "screenshots"
VIEWS = [
    ("default-1366x768.png", "/", (1366, 768), False),
    ("drilldown-costa-rica-1366x768.png", "/?country=CRI&level=2&unit=CR-SJ&year=2023&measure=count", (1366, 768), False),
    ("drilldown-guatemala-en-1366x768.png", "/?country=GTM&level=1&unit=GTM&lang=en", (1366, 768), False),
    ("phone-390x844.png", "/", (390, 844), True),
    ("phone-drawer-390x844.png", "/", (390, 844), "drawer"),
]


def main(data_dir: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with served_chromium(data_dir) as (base, b):
        for name, path, (w, h), mobile in VIEWS:
            ctx = b.new_context(viewport={"width": w, "height": h}, is_mobile=bool(mobile),
                                has_touch=bool(mobile), device_scale_factor=1)
            pg = ctx.new_page()
            pg.goto(f"{base}{path}")
            pg.wait_for_function("() => { const g = document.querySelector('#map .js-plotly-plot');"
                                 " return g && g.data && g.data.some(t => t.name === 'data'); }", timeout=30000)
            pg.wait_for_timeout(2500)
            if mobile == "drawer":
                pg.click("#filters-open")
                pg.wait_for_timeout(600)
            pg.screenshot(path=str(OUT / name), full_page=mobile is not True and mobile != "drawer" and False)
            if mobile is True:
                pg.screenshot(path=str(OUT / name.replace(".png", "-full.png")), full_page=True)
            ctx.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data" / "processed")
