/** Something in a promptfoo config that LLM Lab does not run as promptfoo would, with its place in the file. */
export interface PromptfooIssue {
  /** Where it is, e.g. `tests[3].assert[1].type`, or `tests.csv row 4: __expected`. */
  path: string;
  message: string;
  /**
   * `error`: running would score differently from promptfoo, so nothing runs. `warning`: it is
   * skipped, and skipping it changes no pass/fail (sharing, output paths, tags, delays…).
   */
  severity: 'error' | 'warning';
}

/** Collects the issues of one config, each once. */
export class Issues {
  readonly list: PromptfooIssue[] = [];
  private readonly seen = new Set<string>();

  error(path: string, message: string): void {
    this.add({ path, message, severity: 'error' });
  }

  warn(path: string, message: string): void {
    this.add({ path, message, severity: 'warning' });
  }

  private add(issue: PromptfooIssue): void {
    const key = `${issue.severity}|${issue.path}|${issue.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push(issue);
  }
}

/** The issues as lines: `error   tests[3].assert[1].type: …`. */
export function formatIssues(issues: readonly PromptfooIssue[]): string {
  return issues.map((issue) => `${issue.severity === 'error' ? 'error  ' : 'warning'} ${issue.path}: ${issue.message}`).join('\n');
}
