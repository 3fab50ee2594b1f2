#!/usr/bin/env bash
# Install cyipopt (the optional `ipopt` extra) into a virtual environment, building it from its
# source distribution against Debian/Ubuntu's Ipopt (coinor-libipopt-dev: Ipopt 3.11 with MUMPS).
#
#   usage: .ci/install-ipopt.sh /path/to/venv/bin/python
#
# cyipopt has no Linux wheel on PyPI.  Its build links with what `pkg-config --libs ipopt` lists,
# which includes -llapack and -lblas: the unversioned libraries come only with liblapack-dev and
# libblas-dev, hence those packages next to coinor-libipopt-dev.
#
# Idempotent: packages already present are not reinstalled, apt-get update runs at most once, and
# an importable cyipopt of the pinned version ends the script at once.  When the install is not
# possible (no root or sudo, no apt, no network, a failed build) it says so and exits 0, so that
# the IPOPT tests skip instead of failing the CI.
set -euo pipefail

CYIPOPT_REQUIREMENT="cyipopt==1.7.0"  # verified with Ipopt 3.11.9 (Debian 12)
BUILD_REQUIREMENTS=("cython>=3" "setuptools>=64" "wheel")
APT_PACKAGES=(coinor-libipopt-dev liblapack-dev libblas-dev pkg-config gcc)

give_up() {
    echo "install-ipopt: $*" >&2
    echo "install-ipopt: $CYIPOPT_REQUIREMENT was NOT installed; without an importable cyipopt the IPOPT tests skip." >&2
    exit 0
}

if [[ $# -ne 1 ]]; then
    echo "usage: $0 /path/to/venv/bin/python" >&2
    exit 2
fi
PYTHON="$1"
[[ -x "$PYTHON" ]] || give_up "'$PYTHON' is not an executable python"

wanted_version="${CYIPOPT_REQUIREMENT#cyipopt==}"
installed_version="$("$PYTHON" -c 'import cyipopt; print(cyipopt.__version__)' 2>/dev/null || true)"
if [[ "$installed_version" == "$wanted_version" ]]; then
    echo "install-ipopt: cyipopt $installed_version is already installed in $PYTHON"
    exit 0
fi

# --- system packages ------------------------------------------------------------------------
missing=()
for package in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
    command -v apt-get >/dev/null 2>&1 || give_up "apt-get not found; install ${missing[*]} by hand"
    if [[ $(id -u) -eq 0 ]]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        as_root=(sudo -n)
    else
        give_up "need root (or passwordless sudo) to install ${missing[*]}"
    fi
    echo "install-ipopt: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    ${as_root[@]+"${as_root[@]}"} apt-get update -qq || give_up "apt-get update failed"
    ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        || give_up "apt-get install ${missing[*]} failed"
fi
pkg-config --exists ipopt || give_up "pkg-config does not find ipopt"
echo "install-ipopt: Ipopt $(pkg-config --modversion ipopt) found with pkg-config"

# --- cyipopt --------------------------------------------------------------------------------
# Built without isolation, against the numpy already in the environment (the one it will run with).
"$PYTHON" -m pip install --quiet "${BUILD_REQUIREMENTS[@]}" || give_up "could not install the build requirements"
"$PYTHON" -m pip install --quiet --no-build-isolation "$CYIPOPT_REQUIREMENT" || give_up "building $CYIPOPT_REQUIREMENT failed"
"$PYTHON" -c 'import cyipopt; print("install-ipopt: cyipopt", cyipopt.__version__, "with Ipopt", ".".join(map(str, cyipopt.IPOPT_VERSION)))' \
    || give_up "cyipopt was built but cannot be imported"
