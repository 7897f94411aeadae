# syntax=docker/dockerfile:1
# Minsheng hotline: the 12345, 12319 and 28339260 hotline adapter, on port 8012.
# Built from the repository root on the shared base (base.Dockerfile):
#   docker build -f deploy/docker/hotline.Dockerfile \
#     --build-arg BASE_IMAGE=minsheng/base:latest -t minsheng/hotline:latest .
ARG BASE_IMAGE=minsheng/base:latest

FROM ${BASE_IMAGE} AS base

# The service and the dependencies it adds to the common library, as wheels.
FROM base AS build
USER root
WORKDIR /src
COPY services/hotline/pyproject.toml services/hotline/pyproject.toml
COPY services/hotline/minsheng_hotline services/hotline/minsheng_hotline
# The common wheel is named as a file, so no index can stand in for it.
RUN pip wheel --wheel-dir /wheels --find-links /opt/minsheng/wheels ./services/hotline \
    /opt/minsheng/wheels/minsheng_common-*.whl

FROM base AS runtime
USER root
RUN --mount=type=bind,from=build,source=/wheels,target=/tmp/wheels \
    pip install --no-index --find-links /tmp/wheels minsheng-hotline
USER minsheng
ENV HOTLINE_HOST=0.0.0.0 \
    HOTLINE_PORT=8012
EXPOSE 8012
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8012/healthz', timeout=2)"]
ENTRYPOINT ["minsheng-hotline"]
CMD ["serve"]
