# syntax=docker/dockerfile:1
# Minsheng intake: the one entry point for appeals, on port 8001.
# Built from the repository root on the shared base (base.Dockerfile):
#   docker build -f deploy/docker/intake.Dockerfile \
#     --build-arg BASE_IMAGE=minsheng/base:latest -t minsheng/intake:latest .
ARG BASE_IMAGE=minsheng/base:latest

FROM ${BASE_IMAGE} AS base

# The service and the dependencies it adds to the common library, as wheels.
FROM base AS build
USER root
WORKDIR /src
COPY intake-svc/pyproject.toml intake-svc/pyproject.toml
COPY intake-svc/minsheng_intake intake-svc/minsheng_intake
# The common wheel is named as a file, so no index can stand in for it.
RUN pip wheel --wheel-dir /wheels --find-links /opt/minsheng/wheels ./intake-svc \
    /opt/minsheng/wheels/minsheng_common-*.whl

FROM base AS runtime
USER root
RUN --mount=type=bind,from=build,source=/wheels,target=/tmp/wheels \
    pip install --no-index --find-links /tmp/wheels minsheng-intake
USER minsheng
ENV INTAKE_HOST=0.0.0.0 \
    INTAKE_PORT=8001
EXPOSE 8001
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8001/healthz', timeout=2)"]
ENTRYPOINT ["minsheng-intake"]
CMD ["serve"]
