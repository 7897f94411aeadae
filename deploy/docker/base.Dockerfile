# syntax=docker/dockerfile:1
# The base every Minsheng image starts from: a pinned Python, the non-root user the
# services run as, and the common library (minsheng-common) with its dependencies.
# `make images` builds it first; each service's Dockerfile takes it as BASE_IMAGE.
# Pin by digest as well where the registry is reachable, e.g.
# python:3.11.13-slim-bookworm@sha256:<digest from `docker buildx imagetools inspect`>.
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS python
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# The common library and its dependencies as wheels; the build tools stay here.
FROM python AS build
WORKDIR /src
COPY shared/pyproject.toml shared/pyproject.toml
COPY shared/minsheng_common shared/minsheng_common
RUN pip wheel --wheel-dir /wheels ./shared

FROM python AS base
RUN groupadd --system --gid 10001 minsheng \
    && useradd --system --uid 10001 --gid minsheng --no-create-home \
        --home-dir /srv/minsheng --shell /usr/sbin/nologin minsheng \
    && mkdir -p /srv/minsheng/data /etc/minsheng/credentials \
    && chown -R minsheng:minsheng /srv/minsheng /etc/minsheng/credentials
# Installed from the wheels alone; the common wheel stays for the services' builds,
# which resolve their dependency on minsheng-common from it.
COPY --from=build /wheels /opt/minsheng/wheels
RUN pip install --no-index --find-links /opt/minsheng/wheels minsheng-common
WORKDIR /srv/minsheng
# Production unless told otherwise: real secrets are then required at start.
ENV MINSHENG_ENVIRONMENT=production \
    MINSHENG_DATA_DIR=/srv/minsheng/data \
    MINSHENG_LOG_JSON=true
USER minsheng
