# syntax=docker/dockerfile:1
# dlgrade: the HTTP service (`dlgrade serve`, the default command) and the distributed
# grading worker (`dlgrade worker`).  Configuration: DLGRADE_* environment variables only.
#
#   docker build -t dlgrade .
#   docker build --build-arg DLGRADE_EXTRAS=torch -t dlgrade:torch .   # + PyTorch (CPU) for `autograd`
#       (offline: `make wheels EXTRAS=torch` first puts the torch wheel into deploy/wheels/)
#   docker run --init -p 8000:8000 --security-opt seccomp=deploy/seccomp.json \
#              --security-opt apparmor=unconfined dlgrade
#
# The sandbox flags and what degrades without them: deploy/README.md.
# The install steps are deploy/install.sh, also run outside Docker by tests/deploy/test_install.py.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# Wheels downloaded on the host (`make wheels`) for builds without a reachable index; may be empty.
COPY deploy/wheels/ /wheels/
ENV DLGRADE_WHEELS=/wheels
# Dependencies first, from pyproject.toml alone: code changes do not invalidate this layer.
COPY pyproject.toml /src/pyproject.toml
COPY deploy/install.sh /src/deploy/install.sh
COPY deploy/torch-cpu.txt /src/deploy/torch-cpu.txt
# Optional extras (comma-separated, pyproject.toml): torch = PyTorch's CPU build for the §3.8 exercise.
ARG DLGRADE_EXTRAS=""
RUN sh /src/deploy/install.sh deps /opt/dlgrade /src
# Then the code (.dockerignore keeps tests, benches, venvs and local state out).
COPY . /src
RUN sh /src/deploy/install.sh app /opt/dlgrade /src

FROM ${PYTHON_IMAGE}
# libseccomp2: the sandbox's syscall filter (opened with ctypes).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libseccomp2 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 dlgrade \
    && useradd --system --uid 10001 --gid dlgrade --home-dir /var/lib/dlgrade --create-home \
       --shell /usr/sbin/nologin dlgrade
COPY --from=build /opt/dlgrade /opt/dlgrade
COPY deploy/healthcheck.py /opt/dlgrade/healthcheck.py
ENV PATH=/opt/dlgrade/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OPENBLAS_NUM_THREADS=1 \
    MPLBACKEND=Agg \
    MPLCONFIGDIR=/tmp/matplotlib
# Embedded mode keeps its SQLite database here: the image's own DLGRADE_DATABASE_URL, relative to the
# WORKDIR (outside a container the default is the per-user data folder); mount a volume.
ENV DLGRADE_DATABASE_URL=sqlite:///var/dlgrade.db
WORKDIR /var/lib/dlgrade
VOLUME ["/var/lib/dlgrade"]
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "/opt/dlgrade/healthcheck.py"]
ENTRYPOINT ["dlgrade"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
