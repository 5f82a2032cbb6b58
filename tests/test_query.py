"""core.query on the synthetic fixture; every expectation is computed by hand from tests/fixtures.py constants."""
import math

import pandas as pd
import pytest

from core import query
from tests import fixtures as fx


def test_loads_once_per_dir(fixture_dir, ds):
    assert query.get_dataset(fixture_dir) is ds


def test_missing_data_is_a_clear_error(tmp_path):
    with pytest.raises(query.DataError, match="units.parquet"):
        query.get_dataset(tmp_path / "nothing-here")


def test_best_source_per_measure(ds):
    # CRI 2022: rate from UNODC (only rate source), count from OIJ (only count source)
    row = query.unit_value(ds, "CRI", "homicide", 2022, "total", "total", "rate")
    assert row["rate"] == pytest.approx(fx.UNODC_RATE["CRI"][2022])
    assert row["rate_source"] == "unodc" and not row["rate_computed"]
    assert row["count"] == fx.OIJ_COUNT_2022["CRI"] and row["count_source"] == "cr_oij"


def test_monthly_rows_ignored(ds):
    row = query.unit_value(ds, "CRI", "homicide", 2023, "total", "total", "count")
    assert row["count"] == fx.OIJ_COUNT_2023["CRI"]  # not the January row (40)


def test_computed_rate_uses_best_population(ds):
    row = query.unit_value(ds, "CR-SJ", "homicide", 2023, "total", "total", "rate")
    assert row["rate_computed"]
    assert row["population_source"] == "cr_inec"
    assert row["rate"] == pytest.approx(300 / 1_600_000 * 1e5)
    # national population: INEC (priority 1) wins over World Bank (priority 2)
    theft = query.unit_value(ds, "CRI", "theft", 2023, "total", "total", "rate")
    assert theft["population"] == fx.INEC_POP[2023]["CRI"]
    assert theft["rate"] == pytest.approx(7500 / 5_200_000 * 1e5)


def test_no_rate_without_population(ds):
    # female counts exist for CR-SJ 2023 but no female population: no rate, never a zero
    assert query.unit_value(ds, "CR-SJ", "homicide", 2023, "female", "total", "rate") is None
    assert query.unit_value(ds, "CR-SJ", "homicide", 2023, "female", "total", "count")["count"] == 40


def test_map_table_scope_rank_and_change(ds):
    t = query.map_table(ds, 1, "CRI", "homicide", 2023, "total", "total", "rate")
    assert list(t["unit_id"]) == ["CR-SJ", "CR-A"]
    assert list(t["rank"]) == [1, 2]
    # change vs 2022 only from the same source (OIJ both years): 18.75 vs 280/1.58M
    prev = 280 / 1_580_000 * 1e5
    assert t.loc[0, "change_pct"] == pytest.approx((18.75 - prev) / prev * 100)


def test_no_change_across_sources(ds):
    # CRI level 0 rate: 2023 and 2022 both UNODC -> change exists; a count from OIJ in 2023 vs none in 2022? both OIJ
    t = query.map_table(ds, 0, None, "homicide", 2023, "total", "total", "rate")
    row = t.set_index("unit_id").loc["CRI"]
    assert row["change_pct"] == pytest.approx((17.2 - 12.6) / 12.6 * 100)
    # Honduras has no 2023 value: present, NaN value, no rank
    hnd = t.set_index("unit_id").loc["HND"]
    assert math.isnan(hnd["value"]) and pd.isna(hnd["rank"])


def test_ties_share_a_rank(ds):
    t = query.map_table(ds, 2, "GTM", "homicide", 2023, "total", "total", "count")
    assert sorted(t["rank"].tolist()) == [1, 1]


def test_focus_and_scope(ds):
    assert query.focus_of(ds, 0, "CRI", "CRI") is None
    assert query.focus_of(ds, 1, "CRI", "CRI") == "CRI"
    assert query.focus_of(ds, 2, "CRI", "CR-SJ") == "CR-SJ"
    assert query.focus_of(ds, 2, "CRI", "CRI-101") == "CR-SJ"   # a municipality is seen inside its department
    assert query.focus_of(ds, 1, "region", None) is None
    assert set(query.scope_units(ds, 2, "CR-SJ")) == {"CRI-101", "CRI-102"}
    assert set(query.scope_units(ds, 2, "CRI")) == {"CRI-101", "CRI-102", "CRI-201"}
    assert len(query.scope_units(ds, 1, None)) == 7


def test_region_series_only_where_honest(ds):
    reg = query.region_series(ds, "homicide", "total", "total", "rate").set_index("year")
    # 2023 has no Honduras value: no regional figure
    assert 2023 not in reg.index
    num = sum(fx.UNODC_RATE[c][2022] * (fx.INEC_POP[2022]["CRI"] if c == "CRI" else fx.WB_POP[c][2022])
              for c in fx.UNODC_RATE)
    den = sum((fx.INEC_POP[2022]["CRI"] if c == "CRI" else fx.WB_POP[c][2022]) for c in fx.UNODC_RATE)
    assert reg.loc[2022, "value"] == pytest.approx(num / den)
    # counts: never a regional sum when countries lack counts
    assert query.region_series(ds, "homicide", "total", "total", "count").empty


def test_unit_series(ds):
    s = query.unit_series(ds, "CRI", "homicide", "total", "total", "rate")
    assert s["year"].tolist() == [2019, 2020, 2021, 2022, 2023]
    assert s["value"].tolist() == pytest.approx([fx.UNODC_RATE["CRI"][y] for y in range(2019, 2024)])


def test_geojson_served_once_per_level(ds):
    import json
    blob = query.geojson(ds, 1, "CRI")
    fc = json.loads(blob.body)
    assert {f["id"] for f in fc["features"]} == {"CR-SJ", "CR-A"}
    assert fc["features"][0]["properties"]["name"] in {"San José", "Alajuela"}
    assert query.geojson(ds, 2, "BLZ") is None
    region = json.loads(query.geojson(ds, 0, "region").body)
    assert len(region["features"]) == 4


def test_catalog(ds):
    cat = query.catalog(ds)
    assert cat.countries == ("CRI", "SLV", "GTM", "HND")   # by name
    assert cat.units["CRI-101"] == (2, "CRI", "CR-SJ")
    assert ("SLV", 2) not in cat.levels_with_units


def test_region_rate_on_committed_data_leaves_out_only_neighbours_without_data():
    """2022: the six mission countries and Panama have a UNODC rate, Nicaragua none. The regional rate is the
    population-weighted mean over those seven, computed here straight from the parquet files."""
    data = query.REPO_DIR / "data" / "processed"
    real = query.get_dataset(data)
    reg = query.region_series(real, "homicide", "total", "total", "rate").set_index("year")
    facts = pd.read_parquet(data / "facts.parquet")
    pop = pd.read_parquet(data / "population.parquet")
    rates = facts[(facts.source_id == "unodc_homicide_rate") & (facts.year == 2022)].set_index("unit_id")["rate"]
    wb = pop[(pop.source_id == "wb_population") & (pop.year == 2022) & (pop.sex == "total")].set_index(
        "unit_id")["population"]
    assert sorted(rates.index) == ["BLZ", "CRI", "DOM", "GTM", "HND", "PAN", "SLV"]
    expected = float((rates * wb[rates.index]).sum() / wb[rates.index].sum())
    assert reg.loc[2022, "value"] == pytest.approx(expected)
    assert reg.loc[2022, "missing"] == ["NIC"]
    assert reg.loc[2022, "population_sources"] == ["wb_population"]
    # 2023: Belize and El Salvador (mission countries) have no rate: no regional figure at all
    assert 2023 not in reg.index


def test_declared_priority_decides_which_published_figure_the_map_uses():
    """Dominican Republic 2023: ONE 1,237 (national statistics office), CADSECI 1,239, Police 1,475 (wider
    definition). geo/crosswalks/published_institutions.csv ranks ONE first, so the map shows 1,237."""
    data = query.REPO_DIR / "data" / "processed"
    real = query.get_dataset(data)
    row = query.unit_value(real, "DOM", "homicide", 2023, "total", "total", "count")
    assert row is not None and float(row["count"]) == 1237.0
    sources = pd.read_parquet(data / "sources.parquet").set_index("source_id")
    assert sources.loc[row["count_source"], "publisher"].startswith("ONE")
    facts = pd.read_parquet(data / "facts.parquet")
    dom = facts[(facts.unit_id == "DOM") & (facts.year == 2023) & (facts.sex == "total") & facts["count"].notna()]
    assert sorted(dom["count"]) == [1237.0, 1239.0, 1475.0]


def _wiggly_pair():
    """Two units sharing a border with 200 tiny wiggles (0.001 degrees: nothing a region-wide map can show)."""
    import math

    from shapely.geometry import Polygon
    wig = [(1 + 0.001 * math.sin(i), i / 200) for i in range(201)]
    return Polygon([(0, 0)] + wig + [(0, 1)]), Polygon([(2, 0), (2, 1)] + wig[::-1])


def test_region_scale_simplifies_a_coverage_and_keeps_shared_borders_shared():
    import numpy as np
    import shapely
    left, right = _wiggly_pair()
    geoms = np.array([left, right], dtype=object)
    out = query.region_scale(geoms, 0.02)
    assert shapely.get_num_coordinates(geoms).tolist() == [204, 204]
    assert shapely.get_num_coordinates(out).max() < 10                  # the wiggles are gone
    assert shapely.coverage_is_valid(out)                               # no gap, no overlap between the two
    assert shapely.union_all(out).area == pytest.approx(2.0, abs=1e-9)
    assert query.region_scale(geoms, 0) is geoms                        # 0: off


def test_region_scale_keeps_a_unit_it_would_break(monkeypatch):
    import numpy as np
    import shapely
    from shapely.geometry import Polygon, box
    left, right = _wiggly_pair()
    geoms = np.array([left, right, box(5, 5, 6, 6)], dtype=object)
    bowtie = Polygon([(5, 5), (6, 6), (6, 5), (5, 6)])   # what a broken simplification could give
    real = shapely.coverage_simplify
    monkeypatch.setattr(shapely, "coverage_simplify",
                        lambda g, tol: np.array(list(real(g[:2], tol)) + [bowtie], dtype=object))
    out = query.region_scale(geoms, 0.02)
    assert out[2] is geoms[2] and shapely.get_num_coordinates(out[0]) < 10

    def refuse(g, tol):
        raise shapely.errors.GEOSException("not a coverage")
    monkeypatch.setattr(shapely, "coverage_simplify", refuse)
    assert query.region_scale(geoms, 0.02) is geoms


def test_region_map_is_coarser_than_the_countries_maps_on_committed_data():
    """The committed data: the region-wide level-2 GeoJSON has every unit of the countries' own level-2
    GeoJSONs but those of the countries drawn whole (no value at level 2 anywhere: query.whole_countries), with
    far fewer vertices; a country's own map keeps the pipeline's geometry."""
    import json

    import shapely
    real = query.get_dataset(query.REPO_DIR / "data" / "processed")

    def vertices(blob):
        fc = json.loads(blob.body)
        return {f["id"]: int(shapely.get_num_coordinates(shapely.from_geojson(json.dumps(f["geometry"]))))
                for f in fc["features"]}

    region = vertices(query.geojson(real, 2, query.REGION))
    countries: dict = {}
    for c in query.catalog(real).countries:
        blob = query.geojson(real, 2, c)
        if blob is not None:
            countries.update(vertices(blob))
    whole = query.whole_countries(real, 2, query.REGION)
    with_values = set(real.values.loc[real.values["level"] == 2, "country"])
    assert whole and not whole & with_values and "CRI" in with_values   # today only Costa Rica publishes them
    assert whole | with_values == {real.unit(u)["country"] for u in countries}
    assert set(region) == {u for u in countries if real.unit(u)["country"] not in whole} and len(region) >= 81
    assert len(countries) > 1000 and query.geo_ids(real, 2, query.REGION) == list(region)
    assert sum(region.values()) < 0.5 * sum(countries[u] for u in region)
    assert all(region[u] >= 4 for u in region)   # every unit still a polygon


def test_region_wide_geojson_leaves_out_countries_drawn_whole(fixture_dir, monkeypatch):
    """_build_geo with the (country, level) pairs that have values: on a region-wide level with more than
    REGION_WHOLE_GREY_MIN_UNITS units, a country without any value there (and with a level-0 feature) is left
    out of the region's GeoJSON and named by whole_countries; its own GeoJSON keeps all its units."""
    import json

    import geopandas as gpd

    units = gpd.read_parquet(fixture_dir / "units.parquet")
    countries = sorted(units["country"].dropna().unique().tolist())
    monkeypatch.setattr(query, "REGION_WHOLE_GREY_MIN_UNITS", 3)
    level1 = units[units["level"] == 1]
    assert len(level1) > 3 and {"CRI", "GTM"} <= set(level1["country"])
    geo = query._build_geo(units, countries, {("CRI", 1), ("CRI", 2)})
    ids = lambda key: [f["id"] for f in json.loads(geo[key].body)["features"]]   # noqa: E731
    assert geo[("__whole__", 1, query.REGION)] == frozenset(set(level1["country"]) - {"CRI"})
    assert ids((1, query.REGION)) == level1.loc[level1["country"] == "CRI", "unit_id"].tolist()
    assert geo[("__ids__", 1, query.REGION)] == ids((1, query.REGION))
    assert ids((1, "GTM")) == level1.loc[level1["country"] == "GTM", "unit_id"].tolist()   # its own map: all
    assert geo[("__whole__", 0, query.REGION)] == frozenset()                               # never the land
    everything = query._build_geo(units, countries)                                         # None: nothing out
    assert everything[("__whole__", 1, query.REGION)] == frozenset()
    assert [f["id"] for f in json.loads(everything[(1, query.REGION)].body)["features"]] == level1["unit_id"].tolist()


def test_region_wide_geojson_is_region_scale_at_every_level_and_detail_stays(fixture_dir, monkeypatch):
    """Levels 0, 1 and 2 served for the region (scope REGION) go through region_scale; a country's own GeoJSON
    and the countries at full detail (scope DETAIL, the land under a country's map) keep the pipeline's geometry."""
    import json

    import geopandas as gpd
    import numpy as np
    import shapely

    units = gpd.read_parquet(fixture_dir / "units.parquet")
    seen: list[int] = []

    def marked(geoms, tolerance=None):   # a recognisable "simplification": every shape moved 10 degrees east
        seen.append(len(geoms))
        return np.array([shapely.affinity.translate(g, 10) for g in geoms], dtype=object)
    monkeypatch.setattr(query, "region_scale", marked)
    geo = query._build_geo(units, sorted(units["country"].dropna().unique().tolist()))

    def min_x(level, scope):
        feats = json.loads(geo[(level, scope)].body)["features"]
        return min(shapely.bounds(shapely.from_geojson(json.dumps(f["geometry"])))[0] for f in feats)
    levels = sorted(int(v) for v in units["level"].unique())
    assert sorted(seen) == sorted(int((units["level"] == lv).sum()) for lv in levels)
    for lv in levels:
        originals = units[units["level"] == lv].geometry.bounds["minx"].min()
        assert min_x(lv, query.REGION) == pytest.approx(originals + 10, abs=1e-3)       # region scale
        assert min_x(lv, "CRI") == pytest.approx(units[(units["level"] == lv) & (units["country"] == "CRI")]
                                                 .geometry.bounds["minx"].min(), abs=1e-3)  # a country's own
    assert min_x(0, query.DETAIL) == pytest.approx(units[units["level"] == 0].geometry.bounds["minx"].min(), abs=1e-3)
    ids = [f["id"] for f in json.loads(geo[(0, query.DETAIL)].body)["features"]]
    assert ids == [f["id"] for f in json.loads(geo[(0, query.REGION)].body)["features"]] == geo[("__ids__", 0, query.DETAIL)]
    assert (1, query.DETAIL) not in geo and (2, query.DETAIL) not in geo
    assert query.land_scope(query.REGION) == query.REGION and query.land_scope("CRI") == query.DETAIL


def test_large_geojson_is_compressed_harder(monkeypatch):
    """GeoJSON of GEO_LARGE_BYTES or more gets brotli at GEO_BROTLI_QUALITY_LARGE, smaller ones the fast quality;
    every blob decompresses to its body and its gzip and etag are those of the body."""
    import gzip
    import hashlib

    import brotli

    calls: list[tuple[int, int]] = []
    real = brotli.compress

    def spy(body, quality=11, **kw):
        calls.append((len(body), quality))
        return real(body, quality=quality, **kw)
    monkeypatch.setattr(brotli, "compress", spy)
    monkeypatch.setattr(query, "GEO_LARGE_BYTES", 1000)
    small = b'{"type":"FeatureCollection","features":[]}'
    large = ('{"type":"FeatureCollection","features":[' + ",".join(
        '{"type":"Feature","id":"U%d","properties":{"name":"Lugar %d"},"geometry":null}' % (i, i)
        for i in range(60)) + "]}").encode()
    out = query._blobs({(1, "A"): small, (2, "B"): large})
    assert sorted(calls) == sorted([(len(small), query.GEO_BROTLI_QUALITY),
                                    (len(large), query.GEO_BROTLI_QUALITY_LARGE)])
    assert query.GEO_BROTLI_QUALITY_LARGE > query.GEO_BROTLI_QUALITY
    for key, body in (((1, "A"), small), ((2, "B"), large)):
        blob = out[key]
        assert blob.body == body and brotli.decompress(blob.br) == body and gzip.decompress(blob.gz) == body
        assert blob.etag == hashlib.sha256(body).hexdigest()[:16]
