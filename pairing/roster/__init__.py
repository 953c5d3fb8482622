"""Branch roster (支部名册) in Excel: the column spec, the safe reader, and the writers.

``columns`` holds the one description of the format that both directions use,
``imports`` turns an untrusted upload into normalised rows (no database access),
``exports`` writes the template and the filtered branch list. The all-or-nothing
write lives in ``pairing.services.roster`` (the service: preview, commit, runs).
"""
