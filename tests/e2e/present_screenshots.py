"""Presenter screenshots at 1280x720 on the real processed data: `python -m tests.e2e.present_screenshots [DATA_DIR]`
writes docs/screenshots/present-*.png (gunicorn + headless Chromium, as the e2e tests)."""
from __future__ import annotations

import sys
from pathlib import Path

from tests.e2e.conftest import ROOT, served_chromium

SHOTS = [
    ("present-region-1280x720.png", "/?view=present&deck=homicidio-region&slide=1"),
    ("present-el-salvador-events-1280x720.png", "/?view=present&deck=homicidio-region&slide=3"),
    ("present-costa-rica-en-1280x720.png", "/?view=present&deck=costa-rica-2023&lang=en&slide=1"),
    ("present-costa-rica-women-1280x720.png", "/?view=present&deck=costa-rica-2023&slide=3"),
]


def main(data_dir: Path) -> None:
    out = ROOT / "docs" / "screenshots"
    with served_chromium(data_dir) as (base, b):
        pg = b.new_page(viewport={"width": 1280, "height": 720})
        for name, path in SHOTS:
            pg.goto(f"{base}{path}")
            pg.wait_for_function("document.querySelector('#pr-value') && "
                                 "document.querySelector('#pr-value').textContent.length > 0", timeout=60000)
            pg.wait_for_selector("#pr-map .js-plotly-plot path.choroplethlocation", state="attached", timeout=60000)
            pg.wait_for_timeout(1000)
            pg.screenshot(path=str(out / name))
            print("wrote", out / name)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data" / "processed")
