#!/usr/bin/env bash
# Installs the llm-lab command for the GitHub Action (action.yml at the repository root) and puts
# it on the PATH of the job's later steps (through $GITHUB_PATH).
#   LLM_LAB_CLI      a built llm-lab.js to use as it is (no install)
#   LLM_LAB_PACKAGE  an npm spec or tarball(s) to install, e.g. llm-lab@0.1.0 or ./llm-lab-0.1.0.tgz
#                    (with ./llm-lab-storage-0.1.0.tgz; separate several with spaces)
#   neither          build the command from the action's own checkout (pnpm, about a minute)
set -euo pipefail
: "${ACTION_PATH:?ACTION_PATH is not set}"
bin_dir="${RUNNER_TEMP:-/tmp}/llm-lab-bin"
mkdir -p "$bin_dir"

if [ -n "${LLM_LAB_CLI:-}" ]; then
  script="$(cd "$(dirname "$LLM_LAB_CLI")" && pwd)/$(basename "$LLM_LAB_CLI")"
elif [ -n "${LLM_LAB_PACKAGE:-}" ]; then
  prefix="${RUNNER_TEMP:-/tmp}/llm-lab-install"
  mkdir -p "$prefix"
  [ -f "$prefix/package.json" ] || echo '{"name":"llm-lab-ci","private":true,"type":"module"}' > "$prefix/package.json"
  # Word splitting is wanted: several tarballs may be given.
  # shellcheck disable=SC2086
  npm install --prefix "$prefix" --no-audit --no-fund --omit=optional $LLM_LAB_PACKAGE
  script="$prefix/node_modules/llm-lab/dist/llm-lab.js"
else
  pnpm_version=$(node -p "require('$ACTION_PATH/package.json').packageManager.split('@')[1]")
  command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version)" = "$pnpm_version" ] || npm install -g "pnpm@$pnpm_version" >/dev/null
  (cd "$ACTION_PATH" && pnpm install --frozen-lockfile && pnpm exec turbo run build --filter=llm-lab... --output-logs=errors-only)
  script="$ACTION_PATH/apps/cli/dist/llm-lab.js"
fi

[ -f "$script" ] || { echo "llm-lab action: $script does not exist (check the cli or package input)." >&2; exit 2; }
printf '#!/usr/bin/env bash\nexec node "%s" "$@"\n' "$script" > "$bin_dir/llm-lab"
chmod +x "$bin_dir/llm-lab"
echo "$bin_dir" >> "${GITHUB_PATH:-/dev/null}"
echo "llm-lab $("$bin_dir/llm-lab" --version) ready"
