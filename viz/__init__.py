"""The workshop dashboard: a Solara page (app.py) over per-session runs (lab.py) and charts (charts.py)."""
