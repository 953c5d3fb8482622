"""The ``bench`` management command (issue 9) and its pieces: dataset, measuring, floors, operations.

Tooling, not a production app: no models, no URLs in the project's URLconf (``urls.py`` is the
URLconf the command swaps in while it runs), nothing the other apps import. It is an installed app
only so that ``manage.py bench`` is found in every shape the project runs in.
"""
