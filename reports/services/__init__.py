"""Report services: figures computed in the database, snapshots, the assessment workbook."""
