# Twinning web/worker image: gunicorn for the web, the same image runs Celery worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MEDIA_ROOT=/app/media \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app

RUN groupadd --system --gid 1000 twinning \
    && useradd --system --uid 1000 --gid twinning --home-dir /app --shell /usr/sbin/nologin twinning

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected into the image; the key is a throwaway used for this step only.
RUN SECRET_KEY=collectstatic-build-only python manage.py collectstatic --noinput \
    && mkdir -p /app/media \
    && chown -R twinning:twinning /app/media /app/staticfiles

USER twinning
EXPOSE 8000

CMD ["gunicorn", "twinning.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", "--access-logfile", "-"]
