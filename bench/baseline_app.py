"""BASELINE for the benchmark only: a deliberately straightforward Dash app, the way Dash samples do it.

Every filter change rebuilds `px.choropleth_map` with the *full* GeoJSON of the level (all properties, every
coordinate as stored) and returns the `go.Figure`. No Patch, no GeoJSON URL, no cache, no compression
(Dash's default `compress=False`). It reads the same processed data as the real app (OBS_DATA_DIR, default
data/processed) once at start-up — reading inside the callback would be even slower, but that would be a
strawman. Never deployed; `gunicorn bench.baseline_app:server`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import dash
import geopandas as gpd
import pandas as pd
import plotly.express as px
from dash import Input, Output, dcc, html

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("OBS_DATA_DIR") or ROOT / "data" / "processed")

units = gpd.read_parquet(DATA_DIR / "units.parquet")
facts = pd.read_parquet(DATA_DIR / "facts.parquet")
sources = pd.read_parquet(DATA_DIR / "sources.parquet")
facts = facts[facts["month"].isna()].merge(sources[["source_id", "priority"]], on="source_id", how="left")
facts = facts.merge(units[["unit_id", "level", "name"]], on="unit_id", how="inner")
# the whole GeoJSON of each level, every property (what `json.loads(gdf.to_json())` gives a sample app)
GEOJSON = {int(lvl): json.loads(g.to_json()) for lvl, g in units.groupby("level")}
YEARS = sorted(int(y) for y in facts["year"].unique())
OFFENSES = sorted(facts["offense"].unique())
DEFAULT_OFFENSE = "homicide" if "homicide" in OFFENSES else OFFENSES[0]
_l2 = facts[(facts["level"] == 2) & (facts["offense"] == DEFAULT_OFFENSE)]
DEFAULT_YEAR = int(_l2["year"].max()) if len(_l2) else YEARS[-1]   # the latest year with municipal figures

app = dash.Dash(__name__, title="Baseline (naive)")
server = app.server
app.layout = html.Div([
    html.H3("Baseline: px.choropleth_map rebuilt on every change"),
    dcc.Dropdown(id="level", options=[0, 1, 2], value=2, clearable=False),
    dcc.Dropdown(id="offense", options=OFFENSES, value=DEFAULT_OFFENSE, clearable=False),
    dcc.Dropdown(id="year", options=YEARS, value=DEFAULT_YEAR, clearable=False),
    dcc.RadioItems(id="sex", options=["total", "female", "male"], value="total"),
    dcc.RadioItems(id="measure", options=["rate", "count"], value="count"),
    dcc.Graph(id="map", style={"height": "600px"}),
])


@app.callback(Output("map", "figure"), Input("level", "value"), Input("offense", "value"), Input("year", "value"),
              Input("sex", "value"), Input("measure", "value"))
def update_map(level, offense, year, sex, measure):
    df = facts[(facts["level"] == level) & (facts["offense"] == offense) & (facts["year"] == year)
               & (facts["sex"] == sex) & (facts["age_group"] == "total") & facts[measure].notna()]
    df = df.sort_values("priority").drop_duplicates("unit_id")
    df = df.assign(count=df["count"].astype("float64"), rate=df["rate"].astype("float64"))
    fig = px.choropleth_map(
        df, geojson=GEOJSON[int(level)], locations="unit_id", featureidkey="properties.unit_id", color=measure,
        hover_name="name", hover_data={"count": True, "rate": ":.1f", "source_id": True, "unit_id": False},
        color_continuous_scale="YlOrRd", map_style="white-bg", center={"lat": 14.5, "lon": -86.5}, zoom=4.2,
        opacity=0.9,
    )
    fig.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0})
    return fig


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8060, debug=False)
