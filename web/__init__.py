"""Plain Flask pages next to the Dash app (sources and methodology)."""
