import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twinning.settings")

application = get_wsgi_application()

# Everything loaded so far (Django, the apps, URL patterns, templates as they compile) lives as long
# as the worker: move it out of the collector's generations so that full collections during requests
# do not walk it again each time.
gc.freeze()
# A page builds thousands of short-lived objects (rows, model instances, template nodes): with the
# default threshold of 700 allocations the collector ran about four times per request on the branch
# list. Ten thousand lets most requests finish without a collection, at no cost in memory that matters.
gc.set_threshold(10_000, 50, 100)
