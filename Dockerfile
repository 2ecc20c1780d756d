# Trygg server image: `docker build -t trygg . && docker run -p 8000:8000 -v trygg-data:/data trygg`
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TRYGG_DATA_DIR=/data

RUN useradd --system --create-home --home-dir /home/trygg --uid 10001 trygg \
    && mkdir -p /data /srv/trygg && chown trygg:trygg /data

WORKDIR /srv/trygg
# The locked third-party packages first (a layer that changes only with the lock), then the
# project itself without resolving anything again.
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY pyproject.toml README.md ./
COPY app ./app
COPY alembic ./alembic
# Editable, so the Alembic migrations beside the package are found at start-up.
RUN pip install --no-deps -e . && pip check

USER trygg
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=2).status == 200 else 1)"

CMD ["trygg", "serve", "--host", "0.0.0.0", "--port", "8000"]
