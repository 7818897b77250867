# SocialOps image: one image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SOCIALOPS_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles

RUN groupadd --system --gid 10001 socialops \
    && useradd --system --uid 10001 --gid socialops --home-dir /app --no-create-home socialops

WORKDIR /app

# WeasyPrint's libraries and a font, for the weekly review's PDF (metrics/reviews/pdf.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Dependencies before the code, so this layer is rebuilt only when pyproject.toml changes.
# The project declares no packages (the apps run from /app), so this installs the
# dependencies and nothing of ours.
COPY pyproject.toml README.md ./
RUN pip install .

# The code stays root-owned and read-only to the app; only var/ and staticfiles/ are its.
COPY . .
# var/clicks exists in the image so the click-spool volume mounted there belongs to the app.
RUN mkdir -p var/clicks staticfiles && chown -R socialops:socialops var staticfiles

USER socialops

# DEBUG off reads real secrets, which a build must never see: these throwaway values exist
# only for this one command and are not kept in the image.
RUN DEBUG=false ALLOWED_HOSTS=build SITE_URL=http://build \
    SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    FIELD_ENCRYPTION_KEY="$(python -c 'import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())')" \
    python manage.py collectstatic --noinput

EXPOSE 8000
CMD ["gunicorn", "socialops.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
