"""Data versions: the pipeline keeps the replaced build's facts (geo.build.keep_previous), and a link pinned to an
older version (&v=) says how the headline figure changed. Synthetic data in tmp folders; expected texts written
by hand from the fixture constants (tests/fixtures.py)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from core import query
from core.pin import pin_note, pinned_from_search
from core.viewstate import ViewState
from geo.build import keep_previous
from tests.fixtures import write_fixture_dataset

OLD_ID, NEW_ID = "2026-01-10-aaaaaaaa", "2026-02-01-bbbbbbbb"
OLD_HASH, NEW_HASH = "a" * 64, "b" * 64


def _report(folder: Path, date: str, h: str, vid: str) -> None:
    (folder / "build_report.json").write_text(json.dumps(
        {"version": {"date": date, "content_hash": h, "id": vid}, "sources": [], "coverage": []}), encoding="utf-8")


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> tuple[Path, Path]:
    """old: the fixture dataset; new: the same with CRI 2023 homicides 460 -> 500 (OIJ) and a new UNODC rate for
    Honduras 2023 (30.0), built the way geo.build does (keep_previous into the new folder)."""
    base = tmp_path_factory.mktemp("versions")
    old = write_fixture_dataset(base / "old")
    _report(old, "2026-01-10", OLD_HASH, OLD_ID)
    new = base / "processed"
    shutil.copytree(old, new)
    f = pd.read_parquet(old / "facts.parquet")
    sel = (f.unit_id == "CRI") & (f.year == 2023) & (f.offense == "homicide") & (f.sex == "total") & f.month.isna() \
        & (f.source_id == "cr_oij")
    assert int(sel.sum()) == 1 and float(f.loc[sel, "count"].iloc[0]) == 460
    f.loc[sel, "count"] = 500
    extra = pd.DataFrame([dict(unit_id="HND", year=2023, month=None, offense="homicide", sex="total",
                               age_group="total", count=None, rate=30.0, source_id="unodc")]).astype(f.dtypes.to_dict())
    pd.concat([f, extra], ignore_index=True).to_parquet(new / "facts.parquet", index=False)
    keep_previous(old, new, NEW_HASH)
    _report(new, "2026-02-01", NEW_HASH, NEW_ID)
    return old, new


def test_keep_previous_archives_the_replaced_facts(versions):
    old, new = versions
    prev = new / "previous"
    assert sorted(p.name for p in prev.iterdir()) == [f"facts-{OLD_ID}.parquet", f"population-{OLD_ID}.parquet"]
    assert (prev / f"facts-{OLD_ID}.parquet").read_bytes() == (old / "facts.parquet").read_bytes()
    assert (prev / f"population-{OLD_ID}.parquet").read_bytes() == (old / "population.parquet").read_bytes()


def test_keep_previous_same_content_carries_the_folder_over(versions, tmp_path):
    _, new = versions
    keep_previous(new, tmp_path, NEW_HASH)
    assert sorted(p.name for p in (tmp_path / "previous").iterdir()) == sorted(
        p.name for p in (new / "previous").iterdir())


def test_keep_previous_keeps_only_the_most_recent(versions, tmp_path):
    _, new = versions
    keep_previous(new, tmp_path, "c" * 64)
    assert sorted(p.name for p in (tmp_path / "previous").iterdir()) == [f"facts-{NEW_ID}.parquet",
                                                                        f"population-{NEW_ID}.parquet"]
    assert (tmp_path / "previous" / f"facts-{NEW_ID}.parquet").read_bytes() == (new / "facts.parquet").read_bytes()


def test_keep_previous_first_build_or_broken_report_keeps_nothing(tmp_path):
    keep_previous(tmp_path / "missing", tmp_path, NEW_HASH)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "build_report.json").write_text("{not json", encoding="utf-8")
    (broken / "facts.parquet").write_bytes(b"x")
    out = tmp_path / "out"
    out.mkdir()
    keep_previous(broken, out, NEW_HASH)
    assert not (tmp_path / "previous").exists() and not (out / "previous").exists()


def test_best_values_is_the_load_rule(ds, fixture_dir):
    v = query.best_values(ds, pd.read_parquet(fixture_dir / "facts.parquet"),
                          pd.read_parquet(fixture_dir / "population.parquet"))
    pd.testing.assert_frame_equal(v, ds.values)


def test_version_and_previous_versions(versions):
    _, new = versions
    ds = query.get_dataset(new)
    assert query.version_info(ds)["id"] == NEW_ID
    assert list(query.previous_versions(ds)) == [OLD_ID]


def _state(**kw) -> ViewState:
    base = dict(country="CRI", level=0, unit="CRI", offense="homicide", year=2023, measure="count", lang="es")
    return ViewState(**(base | kw))


def test_pinned_link_says_how_the_count_changed(versions):
    ds = query.get_dataset(versions[1])
    note = pin_note(ds, _state(), OLD_ID)
    assert note["kind"] == "changed"
    assert note["text"] == (f"Esta cifra cambió de 460 casos a 500 casos desde que se creó este enlace "
                            f"(datos versión {OLD_ID} → {NEW_ID}).")
    en = pin_note(ds, _state(lang="en"), OLD_ID)["text"]
    assert en == ("This figure changed from 460 cases to 500 cases since this link was made "
                  f"(data version {OLD_ID} → {NEW_ID}).")


def test_pinned_link_figure_that_did_not_exist(versions):
    ds = query.get_dataset(versions[1])
    note = pin_note(ds, _state(country="HND", unit="HND", measure="rate"), OLD_ID)
    assert note["kind"] == "changed"
    assert note["text"].startswith("Esta cifra cambió de sin datos a 30.0 por 100,000 hab. desde que")


def test_pinned_link_unchanged_figure(versions):
    ds = query.get_dataset(versions[1])
    # the published UNODC rate of Costa Rica 2023 (17.2) did not change
    note = pin_note(ds, _state(measure="rate"), OLD_ID)
    assert note["kind"] == "same" and "no cambió" in note["text"]
    # Guatemala's count did not change either (PNC 50 + 50 at level 2 only; none at level 0)
    assert pin_note(ds, _state(country="GTM", unit="GTM-301", level=2), OLD_ID)["kind"] == "same"


def test_pinned_link_current_or_unknown_version(versions):
    ds = query.get_dataset(versions[1])
    assert pin_note(ds, _state(), NEW_ID) == {"kind": "", "text": ""}
    assert pin_note(ds, _state(), None) == {"kind": "", "text": ""}
    for bad in ["2020-01-01-deadbeef", "../../etc/passwd", "<script>", "2026-01-10-AAAAAAAA"]:
        note = pin_note(ds, _state(), bad)
        assert note["kind"] == "unknown" and bad in note["text"] and NEW_ID in note["text"]
    assert pin_note(ds, _state(lang="en"), "2020-01-01-deadbeef")["text"].startswith(
        "The data version “2020-01-01-deadbeef” of this link is not available")


def test_pinned_from_search():
    assert pinned_from_search(f"?country=CRI&v={OLD_ID}") == OLD_ID
    assert pinned_from_search(f"v={OLD_ID}&v=x") == OLD_ID
    assert pinned_from_search("?v=") is None and pinned_from_search("") is None and pinned_from_search(None) is None
    assert len(pinned_from_search("?v=" + "9" * 500)) == 40


def test_pin_callback_and_pinned_link(versions):
    from callbacks import pin as pin_cb
    from core import controller

    saved = list(query._DEFAULT_DIR)
    try:
        query.set_default_data_dir(versions[1])
        ds = query.get_dataset()
        search = f"?country=CRI&level=0&unit=CRI&year=2023&measure=count&v={OLD_ID}"
        store = controller.sync(ds, None, search).store()
        children, href = pin_cb.update_pin(store, search)
        assert children[0].children.startswith("Esta cifra cambió de 460 casos a 500 casos")
        assert href.startswith("/?country=CRI") and href.endswith(f"&v={NEW_ID}")
        children, _ = pin_cb.update_pin(store, "?country=CRI&level=0&unit=CRI&year=2023&measure=count")
        assert children == []
    finally:
        query._DEFAULT_DIR[:] = saved
