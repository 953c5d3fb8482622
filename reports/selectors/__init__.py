"""Reads of the reports app, always within the user's region: ``dashboard`` (snapshots, bands,
runs, the regions a dashboard shows), ``assessment`` (the workbook's figures, weights, exports)
and ``audit`` (the history tables)."""
