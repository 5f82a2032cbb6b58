"""Screenshots of the issue-5 part B screens (not a test): python -m tests.e2e.screenshots_partb [DATA_DIR]

Compare, reconciliation and main view with the embed dialog at 1366x768, the map and trend embeds at 600x450."""
from __future__ import annotations

import sys
from pathlib import Path


from tests.e2e.conftest import ROOT, served_chromium

OUT = ROOT / "docs" / "screenshots"
VIEWS = [
    ("compare-1366x768.png", "/comparar?compare=CRI,HND,SLV,GTM&base=2015&offense=homicide&measure=rate", (1366, 768),
     "#cmp-graph .js-plotly-plot .scatterlayer"),
    ("reconcile-1366x768.png", "/conciliar?country=DOM", (1366, 768), ".obs-rec-case .js-plotly-plot"),
    ("reconcile-all-1366x768.png", "/conciliar", (1366, 768), ".obs-rec-case .js-plotly-plot"),
    ("embed-map-600x450.png", "/?country=CRI&level=1&year=2023&unit=CRI&embed=1&chart=map", (600, 450),
     "#embed-map .js-plotly-plot"),
    ("embed-trend-600x450.png", "/?country=HND&level=1&unit=HND&year=2023&embed=1&chart=trend", (600, 450),
     "#embed-trend .js-plotly-plot"),
    ("small-numbers-honduras-1366x768.png", "/?country=HND&level=1&unit=HND&year=2019", (1366, 768),
     "#map .js-plotly-plot"),
    ("embed-dialog-1366x768.png", "/?country=CRI&level=1&unit=CRI&year=2023", (1366, 768), "#map .js-plotly-plot"),
]


def main(data_dir: Path, only: str = "") -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with served_chromium(data_dir) as (base, b):
        for name, path, (w, h), sel in VIEWS:
            if only and only not in name:
                continue
            ctx = b.new_context(viewport={"width": w, "height": h}, device_scale_factor=1)
            pg = ctx.new_page()
            pg.goto(f"{base}{path}")
            pg.wait_for_selector(sel, timeout=30000)
            pg.wait_for_timeout(2500)
            if "dialog" in name:
                pg.click("#embed-open")
                pg.wait_for_selector("#embed-modal textarea", timeout=10000)
                pg.wait_for_timeout(800)
            pg.screenshot(path=str(OUT / name), full_page="small-numbers" in name)
            ctx.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] else ROOT / "data" / "processed",
         sys.argv[2] if len(sys.argv) > 2 else "")
