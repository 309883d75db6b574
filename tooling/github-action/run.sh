#!/usr/bin/env bash
# Runs a config for the GitHub Action: JUnit and JSON-lines results, the run's markdown summary in
# the job summary, and the pull-request comment's text (the comparison with a baseline run when
# `llm-lab compare` exists, else the summary alone). Never fails the step itself: the run's exit
# code goes to the `exit-code` output, and the action's last step fails the job with it, after the
# report is uploaded and the comment posted.
#   LLM_LAB_CONFIG (required), LLM_LAB_BASELINE (a run id, or `latest`: the newest completed run of
#   the same config before this one), LLM_LAB_JUNIT, LLM_LAB_RESULTS, LLM_LAB_SUMMARY, LLM_LAB_COMMENT_FILE,
#   LLM_LAB_ARGS (more arguments for `llm-lab run`), DATABASE_URL / LLM_LAB_DATA_DIR (the database)
set -uo pipefail
: "${LLM_LAB_CONFIG:?the config input is required}"
junit="${LLM_LAB_JUNIT:-llm-lab-junit.xml}"
results="${LLM_LAB_RESULTS:-llm-lab-results.json}"
summary="${LLM_LAB_SUMMARY:-llm-lab-summary.md}"
comment="${LLM_LAB_COMMENT_FILE:-llm-lab-comment.md}"
report="${RUNNER_TEMP:-/tmp}/llm-lab-report-$$.json"
storage=()
[ -n "${DATABASE_URL:-}" ] && storage+=(--database-url "$DATABASE_URL")
[ -n "${LLM_LAB_DATA_DIR:-}" ] && storage+=(--data-dir "$LLM_LAB_DATA_DIR")
output() { echo "$1=$2" >> "${GITHUB_OUTPUT:-/dev/null}"; }

# Word splitting of LLM_LAB_ARGS is wanted (e.g. "--limit 50 --concurrency 4").
# shellcheck disable=SC2086
llm-lab run "$LLM_LAB_CONFIG" --json --no-progress --output "$junit" --output "$results" "${storage[@]}" ${LLM_LAB_ARGS:-} > "$report"
code=$?
output exit-code "$code"
run_id=$(node -e 'try { process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).runId ?? "") } catch {}' "$report")
if [ -z "$run_id" ]; then
  echo "llm-lab action: the run did not start (exit code $code); see the error above." >&2
  printf '### ❌ LLM Lab: the run of `%s` did not start (exit code %s)\n\nSee the job log.\n' "$LLM_LAB_CONFIG" "$code" > "$summary"
  cp "$summary" "$comment"
  cat "$summary" >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
  output passed false
  exit 0
fi
output run-id "$run_id"
output passed "$([ "$code" = 0 ] && echo true || echo false)"
llm-lab runs show "$run_id" "${storage[@]}"
llm-lab runs show "$run_id" --format md "${storage[@]}" > "$summary"
cat "$summary" >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
output summary-file "$summary"

baseline="${LLM_LAB_BASELINE:-}"
if [ "$baseline" = latest ]; then
  baseline=$(llm-lab runs list --json --limit 100 "${storage[@]}" | node -e '
    const [runId, config] = process.argv.slice(1);
    const runs = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const name = (file) => (file ?? "").split(/[\\/]/).pop();
    const found = runs.find((run) => run.id !== runId && run.status === "completed" && name(run.configFile) === name(config));
    process.stdout.write(found ? found.id : "");' "$run_id" "$LLM_LAB_CONFIG")
  [ -n "$baseline" ] || echo "llm-lab action: no earlier completed run of $LLM_LAB_CONFIG to compare with; the comment has the summary alone."
fi
{
  echo '<!-- llm-lab-action -->'
  if [ -n "$baseline" ] && llm-lab compare --help >/dev/null 2>&1; then
    if llm-lab compare "$baseline" "$run_id" --format md "${storage[@]}" > "$comment.compare" 2>&1; then
      cat "$comment.compare"
      echo
      cat "$summary"
    else
      cat "$summary"
      printf '\n> Could not compare with baseline `%s`: %s\n' "$baseline" "$(head -c 300 "$comment.compare" | tr '\n' ' ')"
    fi
    rm -f "$comment.compare"
  else
    cat "$summary"
    if [ -n "$baseline" ]; then printf '\n> Baseline `%s` is not compared: this llm-lab has no `compare` command.\n' "$baseline"; fi
  fi
} > "$comment"
output comment-file "$comment"
[ -n "$baseline" ] && output baseline-run-id "$baseline"
exit 0
