# syntax=docker/dockerfile:1
# Minsheng analytics: indicators, warnings, reports and the dashboard, on port 8005.
# Built from the repository root on the shared base (base.Dockerfile):
#   docker build -f deploy/docker/analytics.Dockerfile \
#     --build-arg BASE_IMAGE=minsheng/base:latest -t minsheng/analytics:latest .
ARG BASE_IMAGE=minsheng/base:latest

FROM ${BASE_IMAGE} AS base

# The service and the dependencies it adds to the common library, as wheels.
FROM base AS build
USER root
WORKDIR /src
COPY analytics-svc/pyproject.toml analytics-svc/pyproject.toml
COPY analytics-svc/minsheng_analytics analytics-svc/minsheng_analytics
# The common wheel is named as a file, so no index can stand in for it.
RUN pip wheel --wheel-dir /wheels --find-links /opt/minsheng/wheels ./analytics-svc \
    /opt/minsheng/wheels/minsheng_common-*.whl

FROM base AS runtime
USER root
RUN --mount=type=bind,from=build,source=/wheels,target=/tmp/wheels \
    pip install --no-index --find-links /tmp/wheels minsheng-analytics
USER minsheng
ENV ANALYTICS_HOST=0.0.0.0 \
    ANALYTICS_PORT=8005
EXPOSE 8005
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8005/healthz', timeout=2)"]
ENTRYPOINT ["minsheng-analytics"]
CMD ["serve"]
