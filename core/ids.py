"""Every component id of the app, in one place (deterministic across gunicorn workers)."""

URL = "url"
SHELL_URL = "url-shell"     # only to render the page once per load (language)
PAGE = "page-root"
VIEW = "view-store"          # validated view state + notes (small)
MAP_META = "map-meta"        # what the map currently holds (geo key, focus), to choose full figure vs Patch
OPTIONS_SHOWN = "options-shown"  # a digest of each control's options as the browser has them (sent only when changed)
PANELS = "panels-store"      # the panels beside the map, applied in the browser after the map is drawn
PANELS_SHOWN = "panels-shown"  # a digest of each of those panels' values as the browser shows them (sent if changed)

COUNTRY = "ctl-country"
LEVEL = "ctl-level"
OFFENSE = "ctl-offense"
YEAR = "ctl-year"
SEX = "ctl-sex"
AGE = "ctl-age"
MEASURE = "ctl-measure"

MAP = "map"
LEGEND = "map-legend"
MAP_NOTE = "map-note"
SERIES = "series"
SERIES_NOTE = "series-note"
SERIES_SHOWN = "series-shown"  # the key of the trend's layout the browser shows (the layout is sent when it changes)
RANKING = "ranking"            # the table's container (the table is drawn in the browser)
RANKING_DATA = "ranking-data"  # its rows (as columns), headers and number symbols
RANKING_IDS = "ranking-ids"    # its rows' unit ids (by id: the same list for views with the same units)
RANKING_NOTE = "ranking-note"
RANKING_TITLE = "ranking-title"

HEADLINE_VALUE = "headline-value"
HEADLINE_UNIT = "headline-unit"
HEADLINE_CHANGE = "headline-change"
HEADLINE_META = "headline-meta"
HEADLINE_PLACE = "headline-place"
BREADCRUMB = "breadcrumb"
NOTES = "notes"
FOOTER_SOURCES = "footer-sources"
DOWNLOAD = "download-link"
LANG_LINK = "lang-link"

FILTERS_OPEN = "filters-open"
FILTERS_DRAWER = "filters-drawer"

PIN_NOTE = "pin-note"        # "this figure changed from X to Y since this link was made" (?v=)
PIN_LINK = "pin-link"        # footer link pinned to the current data version
