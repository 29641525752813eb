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
# DLGRADE_EXTRAS=torch (comma-separated optional extras of pyproject.toml): deps and wheels add them;
# torch is held to its CPU build by deploy/torch-cpu.txt (docker build --build-arg DLGRADE_EXTRAS=torch).
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
    "$py" - "$src/pyproject.toml" "${DLGRADE_EXTRAS:-}" >"$venv/dlgrade-requirements.txt" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    project = tomllib.load(f)["project"]
reqs = list(project["dependencies"])
for extra in filter(None, (e.strip() for e in sys.argv[2].split(","))):
    reqs += project["optional-dependencies"][extra]
print("\n".join(reqs))
PY
    echo "$venv/dlgrade-requirements.txt"
}

case ",${DLGRADE_EXTRAS:-}," in
*,torch,*) constraints="-c $src/deploy/torch-cpu.txt" ;;
*) constraints="" ;;
esac

case "$step" in
deps)
    # shellcheck disable=SC2086 # constraints is empty or two words
    "$py" -m pip install --quiet "$@" -r "$(requirements)" $constraints
    ;;
wheels)
    : "${DLGRADE_WHEELS:?set DLGRADE_WHEELS to the folder to fill}"
    mkdir -p "$DLGRADE_WHEELS"
    build_reqs=$("$py" -c 'import sys, tomllib; print(" ".join(tomllib.load(open(sys.argv[1], "rb"))["build-system"]["requires"]))' "$src/pyproject.toml")
    # shellcheck disable=SC2086 # build_reqs is a list of requirement words
    "$py" -m pip wheel --quiet --wheel-dir "$DLGRADE_WHEELS" -r "$(requirements)" $build_reqs wheel $constraints
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
