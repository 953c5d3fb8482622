"""Forms of the pairing app, split by sub-domain: ``registry`` (branches, grades, optimisation),
``pairings`` (pairings and draws) and ``roster`` (the upload). Validation and crispy layout only."""
