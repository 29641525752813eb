#!/bin/sh
# Install dlgrade into a virtual environment.  One recipe for the Dockerfile and for
# tests/deploy/test_install.py (which runs it outside Docker, in a fresh venv).
#
#   install.sh deps VENV SRC   third-party dependencies only, read from SRC/pyproject.toml
#                              (the image caches this layer until pyproject.toml changes)
#   install.sh app  VENV SRC   the dlgrade package itself, without dependencies
#   install.sh wheels VENV SRC fill DLGRADE_WHEELS with wheels of the dependencies and of what
#                              building dlgrade needs (`make wheels`: deploy/wheels/, on the host)
#
# DLGRADE_WHEELS=DIR with wheels in it: deps and app install from DIR only (--no-index), for
# builds that cannot reach an index (pip inside a container build, on some machines).
set -eu

step=${1:?usage: install.sh deps|app|wheels VENV SRC}
venv=${2:?usage: install.sh deps|app|wheels VENV SRC}
src=${3:?usage: install.sh deps|app|wheels VENV SRC}

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
py="$venv/bin/python"

set --
if [ -n "${DLGRADE_WHEELS:-}" ] && ls "$DLGRADE_WHEELS"/*.whl >/dev/null 2>&1; then
    set -- --no-index --find-links "$DLGRADE_WHEELS"
fi

requirements() {
    "$py" - "$src/pyproject.toml" >"$venv/dlgrade-requirements.txt" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    print("\n".join(tomllib.load(f)["project"]["dependencies"]))
PY
    echo "$venv/dlgrade-requirements.txt"
}

case "$step" in
deps)
    "$py" -m pip install --quiet "$@" -r "$(requirements)"
    ;;
wheels)
    : "${DLGRADE_WHEELS:?set DLGRADE_WHEELS to the folder to fill}"
    mkdir -p "$DLGRADE_WHEELS"
    build_reqs=$("$py" -c 'import sys, tomllib; print(" ".join(tomllib.load(open(sys.argv[1], "rb"))["build-system"]["requires"]))' "$src/pyproject.toml")
    # shellcheck disable=SC2086 # build_reqs is a list of requirement words
    "$py" -m pip wheel --quiet --wheel-dir "$DLGRADE_WHEELS" -r "$(requirements)" $build_reqs wheel
    ;;
app)
    "$py" -m pip install --quiet "$@" --no-deps "$src"
    "$py" -m pip check
    ;;
*)
    echo "install.sh: unknown step '$step' (deps, app or wheels)" >&2
    exit 2
    ;;
esac
