#!/usr/bin/env bash
# The appliance's main job on its shipped default configuration.
# Until the data plane lands (issue 3) that job is configuration: load the
# built-in default (config/default.yaml, compiled into twamp-dp), validate every
# section and print the effective configuration with all defaults filled in.
# With a FILE argument, the same for that file. Builds first when needed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
if [ ! -x "$BUILD/app/twamp-dp/twamp-dp" ]; then
  scripts/setup.sh
fi
echo "+ twamp-dp --check $*"
"$BUILD/app/twamp-dp/twamp-dp" --check "$@"
