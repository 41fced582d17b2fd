# iatp-kg: the SPARQL endpoint, REST facade and site over an on-disk Oxigraph store.
# See docs/deployment.md. Not built on the project's own machine (no Docker daemon there);
# every command it runs is checked there in a fresh virtualenv instead.
#
#   docker build -t iatp-kg .
#   docker run -d -p 8000:8000 -v iatp-kg-data:/data -e IATP_KG_ADMIN_TOKEN=... iatp-kg
#   docker run --rm -v iatp-kg-data:/data iatp-kg iatp-kg backup /data/backups/first

# 1. The site's JavaScript and data, copied from pinned npm packages (never a CDN at run time).
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY scripts/vendor-assets scripts/vendor-assets
RUN scripts/vendor-assets

# 2. The package and its dependencies, in a virtualenv.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/iatp-kg
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src src
COPY ontology ontology
COPY shapes shapes
COPY queries queries
COPY pipelines pipelines
RUN /opt/iatp-kg/bin/pip install .
# pyLODE caches its background ontologies as pickles inside its own package the first time
# /ontology is rendered; the runtime user cannot write there, so render once now.
RUN cd / && /opt/iatp-kg/bin/python -c "from iatp_kg.routers.resources import ontology_html; ontology_html()"
# The vendored files are git-ignored, so the wheel leaves them out: copy them in.
COPY --from=assets /src/src/iatp_kg/static/vendor /opt/iatp-kg/lib/python3.11/site-packages/iatp_kg/static/vendor

# 3. What runs: the virtualenv, a user of its own, the store on a volume.
FROM python:3.11-slim
RUN useradd --system --user-group --uid 10001 --home-dir /data --no-create-home iatp-kg \
    && mkdir /data \
    && chown iatp-kg:iatp-kg /data
COPY --from=build /opt/iatp-kg /opt/iatp-kg
ENV PATH=/opt/iatp-kg/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    IATP_KG_STORE_DIR=/data/store
VOLUME ["/data"]
USER iatp-kg
WORKDIR /data
EXPOSE 8000
# The first start over an empty store ingests the bundled seed data (seconds); a large store
# takes longer to open: hence the start period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
CMD ["iatp-kg", "serve", "--host", "0.0.0.0", "--port", "8000"]
