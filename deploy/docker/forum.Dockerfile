# syntax=docker/dockerfile:1
# Minsheng forum: the forum adapter, on port 8011.
# Built from the repository root on the shared base (base.Dockerfile):
#   docker build -f deploy/docker/forum.Dockerfile \
#     --build-arg BASE_IMAGE=minsheng/base:latest -t minsheng/forum:latest .
ARG BASE_IMAGE=minsheng/base:latest

FROM ${BASE_IMAGE} AS base

# The service and the dependencies it adds to the common library, as wheels.
FROM base AS build
USER root
WORKDIR /src
COPY services/forum/pyproject.toml services/forum/pyproject.toml
COPY services/forum/minsheng_forum services/forum/minsheng_forum
# The common wheel is named as a file, so no index can stand in for it.
RUN pip wheel --wheel-dir /wheels --find-links /opt/minsheng/wheels ./services/forum \
    /opt/minsheng/wheels/minsheng_common-*.whl

FROM base AS runtime
USER root
RUN --mount=type=bind,from=build,source=/wheels,target=/tmp/wheels \
    pip install --no-index --find-links /tmp/wheels minsheng-forum
USER minsheng
ENV FORUM_HOST=0.0.0.0 \
    FORUM_PORT=8011
EXPOSE 8011
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8011/healthz', timeout=2)"]
ENTRYPOINT ["minsheng-forum"]
CMD ["serve"]
