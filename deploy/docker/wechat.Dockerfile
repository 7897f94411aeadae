# syntax=docker/dockerfile:1
# Minsheng wechat: the WeChat official-account adapter, on port 8014.
# Built from the repository root on the shared base (base.Dockerfile):
#   docker build -f deploy/docker/wechat.Dockerfile \
#     --build-arg BASE_IMAGE=minsheng/base:latest -t minsheng/wechat:latest .
ARG BASE_IMAGE=minsheng/base:latest

FROM ${BASE_IMAGE} AS base

# The service and the dependencies it adds to the common library, as wheels.
FROM base AS build
USER root
WORKDIR /src
COPY services/wechat/pyproject.toml services/wechat/pyproject.toml
COPY services/wechat/minsheng_wechat services/wechat/minsheng_wechat
# The common wheel is named as a file, so no index can stand in for it.
RUN pip wheel --wheel-dir /wheels --find-links /opt/minsheng/wheels ./services/wechat \
    /opt/minsheng/wheels/minsheng_common-*.whl

FROM base AS runtime
USER root
RUN --mount=type=bind,from=build,source=/wheels,target=/tmp/wheels \
    pip install --no-index --find-links /tmp/wheels minsheng-wechat
USER minsheng
ENV WECHAT_HOST=0.0.0.0 \
    WECHAT_PORT=8014
EXPOSE 8014
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8014/healthz', timeout=2)"]
ENTRYPOINT ["minsheng-wechat"]
CMD ["serve"]
