# syntax=docker/dockerfile:1
# Minsheng notify: notices to citizens, agencies and units, on port 8004.
# Built from the repository root on the shared base (base.Dockerfile):
#   docker build -f deploy/docker/notify.Dockerfile \
#     --build-arg BASE_IMAGE=minsheng/base:latest -t minsheng/notify:latest .
ARG BASE_IMAGE=minsheng/base:latest

FROM ${BASE_IMAGE} AS base

# The service and the dependencies it adds to the common library, as wheels.
FROM base AS build
USER root
WORKDIR /src
COPY notify-svc/pyproject.toml notify-svc/pyproject.toml
COPY notify-svc/minsheng_notify notify-svc/minsheng_notify
# The common wheel is named as a file, so no index can stand in for it.
RUN pip wheel --wheel-dir /wheels --find-links /opt/minsheng/wheels ./notify-svc \
    /opt/minsheng/wheels/minsheng_common-*.whl

FROM base AS runtime
USER root
RUN --mount=type=bind,from=build,source=/wheels,target=/tmp/wheels \
    pip install --no-index --find-links /tmp/wheels minsheng-notify
USER minsheng
ENV NOTIFY_HOST=0.0.0.0 \
    NOTIFY_PORT=8004
EXPOSE 8004
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8004/healthz', timeout=2)"]
ENTRYPOINT ["minsheng-notify"]
CMD ["serve"]
