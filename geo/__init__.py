"""Pipeline: raw sources -> processed GeoParquet/Parquet (see docs/DATA_CONTRACT.md)."""
