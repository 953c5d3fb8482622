import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twinning.settings")

application = get_wsgi_application()

# Everything loaded so far (Django, the apps, URL patterns, templates as they compile) lives as long
# as the worker: move it out of the collector's generations so that full collections during requests
# do not walk it again each time.
gc.freeze()
