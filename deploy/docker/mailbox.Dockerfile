# syntax=docker/dockerfile:1
# Minsheng mailbox: the government mailbox adapter (IMAP), on port 8015.
# Built from the repository root on the shared base (base.Dockerfile):
#   docker build -f deploy/docker/mailbox.Dockerfile \
#     --build-arg BASE_IMAGE=minsheng/base:latest -t minsheng/mailbox:latest .
ARG BASE_IMAGE=minsheng/base:latest

FROM ${BASE_IMAGE} AS base

# The service and the dependencies it adds to the common library, as wheels.
FROM base AS build
USER root
WORKDIR /src
COPY services/mailbox/pyproject.toml services/mailbox/pyproject.toml
COPY services/mailbox/minsheng_mailbox services/mailbox/minsheng_mailbox
# The common wheel is named as a file, so no index can stand in for it.
RUN pip wheel --wheel-dir /wheels --find-links /opt/minsheng/wheels ./services/mailbox \
    /opt/minsheng/wheels/minsheng_common-*.whl

FROM base AS runtime
USER root
RUN --mount=type=bind,from=build,source=/wheels,target=/tmp/wheels \
    pip install --no-index --find-links /tmp/wheels minsheng-mailbox
USER minsheng
ENV MAILBOX_HOST=0.0.0.0 \
    MAILBOX_PORT=8015
EXPOSE 8015
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8015/healthz', timeout=2)"]
ENTRYPOINT ["minsheng-mailbox"]
CMD ["serve"]
