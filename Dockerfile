# careloop — production image: web (`careloop serve`), worker (`careloop worker`) and one-off commands.
# Built from the lock file (hashes checked); runs as an unprivileged user; no compiler in the final image.
# Walk-through: docs/operations.md "Containers".

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY requirements/ requirements/
RUN python -m venv /opt/careloop \
 && /opt/careloop/bin/pip install --require-hashes -r requirements/base.lock
COPY pyproject.toml README.md ./
COPY careloop/ careloop/
RUN /opt/careloop/bin/pip install --no-deps --no-build-isolation . \
 && /opt/careloop/bin/python -m compileall -q /opt/careloop

FROM python:3.11-slim-bookworm
# pg_dump/pg_restore for `careloop backup` and `careloop restore` on PostgreSQL.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 careloop \
 && useradd --system --uid 10001 --gid careloop --home-dir /var/lib/careloop --create-home careloop \
 && install -d -o careloop -g careloop -m 0700 /var/lib/careloop/data /var/lib/careloop/backups
COPY --from=build /opt/careloop /opt/careloop
ENV PATH=/opt/careloop/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    CARELOOP_PRODUCTION=1 \
    CARELOOP_DATA_DIR=/var/lib/careloop/data \
    CARELOOP_BACKUP_DIR=/var/lib/careloop/backups \
    HOST=0.0.0.0 \
    PORT=8000 \
    CARELOOP_WEB_PROCESSES=3 \
    CARELOOP_THREADS=4
USER careloop:careloop
WORKDIR /var/lib/careloop
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["careloop", "serve"]
