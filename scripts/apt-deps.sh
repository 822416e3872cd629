#!/usr/bin/env bash
# Debian packages the integration tests need (real Chromium, a real Jupyter server, isolated kernels).
# Installs only what is missing; needs root (or sudo).
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v jupyter-server >/dev/null 2>&1 || [ -x /usr/bin/jupyter-server ] || need+=(jupyter-server)
python3 -c 'import ipykernel' >/dev/null 2>&1 || [ -d /usr/lib/python3/dist-packages/ipykernel ] || need+=(python3-ipykernel)
# Kernel isolation (PID + mount namespaces, dropped capabilities, parent-death signals): util-linux's
# unshare and setpriv, and mount. Present on every Debian system; minimal images may lack them.
{ command -v unshare && command -v setpriv; } >/dev/null 2>&1 || need+=(util-linux)
command -v mount >/dev/null 2>&1 || need+=(mount)
# The scaffolder's prompts are tested under a pseudo-terminal (util-linux's script, in bsdutils); the
# CLI's shell completions are loaded into real zsh and fish.
command -v script >/dev/null 2>&1 || need+=(bsdutils)
command -v zsh >/dev/null 2>&1 || need+=(zsh)
command -v fish >/dev/null 2>&1 || need+=(fish)
# The distributed batch (@lllm/queue, BullMQ) and the PostgreSQL log store (@lllm/log-postgres) are
# tested against real servers, started by the tests on 127.0.0.1 with throwaway data folders.
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
# The tests start their own throwaway PostgreSQL: Debian need not create (and start) a cluster of its own.
if [[ " ${need[*]} " == *" postgresql "* ]] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
  $SUDO mkdir -p /etc/postgresql-common
  echo 'create_main_cluster = false' | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
echo "» installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
