#!/usr/bin/env bash
# The appliance's main job on its shipped default configuration.
# Until the data plane lands (issue 3) that job is configuration: load
# config/default.yaml, validate every section and print the effective
# configuration with all defaults filled in. Builds first when needed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
if [ ! -x "$BUILD/app/twamp-dp/twamp-dp" ]; then
  scripts/setup.sh
fi
cfg=${1:-config/default.yaml}
echo "twamp-dp --check $cfg"
"$BUILD/app/twamp-dp/twamp-dp" --check "$cfg"
