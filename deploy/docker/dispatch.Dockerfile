# syntax=docker/dockerfile:1
# Minsheng dispatch: work orders and units, on port 8002.
# Built from the repository root on the shared base (base.Dockerfile):
#   docker build -f deploy/docker/dispatch.Dockerfile \
#     --build-arg BASE_IMAGE=minsheng/base:latest -t minsheng/dispatch:latest .
ARG BASE_IMAGE=minsheng/base:latest

FROM ${BASE_IMAGE} AS base

# The service and the dependencies it adds to the common library, as wheels.
FROM base AS build
USER root
WORKDIR /src
COPY dispatch-svc/pyproject.toml dispatch-svc/pyproject.toml
COPY dispatch-svc/minsheng_dispatch dispatch-svc/minsheng_dispatch
# The common wheel is named as a file, so no index can stand in for it.
RUN pip wheel --wheel-dir /wheels --find-links /opt/minsheng/wheels ./dispatch-svc \
    /opt/minsheng/wheels/minsheng_common-*.whl

FROM base AS runtime
USER root
RUN --mount=type=bind,from=build,source=/wheels,target=/tmp/wheels \
    pip install --no-index --find-links /tmp/wheels minsheng-dispatch
USER minsheng
ENV DISPATCH_HOST=0.0.0.0 \
    DISPATCH_PORT=8002
EXPOSE 8002
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8002/healthz', timeout=2)"]
ENTRYPOINT ["minsheng-dispatch"]
CMD ["serve"]
