# syntax=docker/dockerfile:1
# Minsheng open311: the Open311 GeoReport v2 server, on port 8016.
# Built from the repository root on the shared base (base.Dockerfile):
#   docker build -f deploy/docker/open311.Dockerfile \
#     --build-arg BASE_IMAGE=minsheng/base:latest -t minsheng/open311:latest .
ARG BASE_IMAGE=minsheng/base:latest

FROM ${BASE_IMAGE} AS base

# The service and the dependencies it adds to the common library, as wheels.
FROM base AS build
USER root
WORKDIR /src
COPY services/open311/pyproject.toml services/open311/pyproject.toml
COPY services/open311/minsheng_open311 services/open311/minsheng_open311
# The common wheel is named as a file, so no index can stand in for it.
RUN pip wheel --wheel-dir /wheels --find-links /opt/minsheng/wheels ./services/open311 \
    /opt/minsheng/wheels/minsheng_common-*.whl

FROM base AS runtime
USER root
RUN --mount=type=bind,from=build,source=/wheels,target=/tmp/wheels \
    pip install --no-index --find-links /tmp/wheels minsheng-open311
USER minsheng
ENV OPEN311_HOST=0.0.0.0 \
    OPEN311_PORT=8016
EXPOSE 8016
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8016/healthz', timeout=2)"]
ENTRYPOINT ["minsheng-open311"]
CMD ["serve"]
