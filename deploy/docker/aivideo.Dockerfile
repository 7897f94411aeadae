# syntax=docker/dockerfile:1
# Minsheng aivideo: the AI + video adapter, on port 8013.
# Built from the repository root on the shared base (base.Dockerfile):
#   docker build -f deploy/docker/aivideo.Dockerfile \
#     --build-arg BASE_IMAGE=minsheng/base:latest -t minsheng/aivideo:latest .
ARG BASE_IMAGE=minsheng/base:latest

FROM ${BASE_IMAGE} AS base

# The service and the dependencies it adds to the common library, as wheels.
FROM base AS build
USER root
WORKDIR /src
COPY services/aivideo/pyproject.toml services/aivideo/pyproject.toml
COPY services/aivideo/minsheng_aivideo services/aivideo/minsheng_aivideo
# The common wheel is named as a file, so no index can stand in for it.
RUN pip wheel --wheel-dir /wheels --find-links /opt/minsheng/wheels ./services/aivideo \
    /opt/minsheng/wheels/minsheng_common-*.whl

FROM base AS runtime
USER root
RUN --mount=type=bind,from=build,source=/wheels,target=/tmp/wheels \
    pip install --no-index --find-links /tmp/wheels minsheng-aivideo
USER minsheng
ENV AIVIDEO_HOST=0.0.0.0 \
    AIVIDEO_PORT=8013
EXPOSE 8013
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8013/healthz', timeout=2)"]
ENTRYPOINT ["minsheng-aivideo"]
CMD ["serve"]
