"""Reads of the pairing app, split by sub-domain: ``registry`` (regions, units, branches),
``pairings``, ``draws``, ``coverage`` and ``roster`` (import runs). Every read starts from what the
user may see (``pairing.scope``)."""
