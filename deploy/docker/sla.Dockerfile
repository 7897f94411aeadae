# syntax=docker/dockerfile:1
# Minsheng sla: the working calendar and every deadline, on port 8003.
# Built from the repository root on the shared base (base.Dockerfile):
#   docker build -f deploy/docker/sla.Dockerfile \
#     --build-arg BASE_IMAGE=minsheng/base:latest -t minsheng/sla:latest .
ARG BASE_IMAGE=minsheng/base:latest

FROM ${BASE_IMAGE} AS base

# The service and the dependencies it adds to the common library, as wheels.
FROM base AS build
USER root
WORKDIR /src
COPY sla-svc/pyproject.toml sla-svc/pyproject.toml
COPY sla-svc/minsheng_sla sla-svc/minsheng_sla
# The common wheel is named as a file, so no index can stand in for it.
RUN pip wheel --wheel-dir /wheels --find-links /opt/minsheng/wheels ./sla-svc \
    /opt/minsheng/wheels/minsheng_common-*.whl

FROM base AS runtime
USER root
RUN --mount=type=bind,from=build,source=/wheels,target=/tmp/wheels \
    pip install --no-index --find-links /tmp/wheels minsheng-sla
USER minsheng
ENV SLA_HOST=0.0.0.0 \
    SLA_PORT=8003
EXPOSE 8003
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8003/healthz', timeout=2)"]
ENTRYPOINT ["minsheng-sla"]
CMD ["serve"]
