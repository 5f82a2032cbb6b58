"""Presenter tools that run without a server (issue 4): `python -m present.pack DECK --out file.html`."""
