#!/usr/bin/env node
// Posts the action's comment on the pull request, or updates the one it posted before (found by
// its marker line), through the GitHub REST API. Not a pull request, or no comment file: nothing
// to do. A refused request (a fork's read-only token) is a warning, never a failed job.
//   GITHUB_TOKEN, GITHUB_API_URL, GITHUB_REPOSITORY, PR_NUMBER, COMMENT_FILE
import { existsSync, readFileSync } from 'node:fs';

const MARKER = '<!-- llm-lab-action -->';
const { GITHUB_TOKEN: token, GITHUB_API_URL: api = 'https://api.github.com', GITHUB_REPOSITORY: repository, PR_NUMBER: pr, COMMENT_FILE: file } = process.env;

if (!pr) {
  console.log('llm-lab action: not a pull request; no comment.');
  process.exit(0);
}
if (!file || !existsSync(file)) {
  console.log(`llm-lab action: no comment file (${file ?? 'none'}); no comment.`);
  process.exit(0);
}
if (!token || !repository) {
  console.log('::warning::llm-lab action: no github-token or repository; the pull request gets no comment.');
  process.exit(0);
}
const body = readFileSync(file, 'utf8');
const headers = {
  accept: 'application/vnd.github+json',
  authorization: `Bearer ${token}`,
  'content-type': 'application/json',
  'user-agent': 'llm-lab-action',
  'x-github-api-version': '2022-11-28',
};

async function call(method, path, payload) {
  const response = await fetch(`${api}${path}`, { method, headers, ...(payload ? { body: JSON.stringify(payload) } : {}) });
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${(await response.text()).slice(0, 300)}`);
  return response.json();
}

try {
  const comments = await call('GET', `/repos/${repository}/issues/${pr}/comments?per_page=100`);
  const previous = comments.find((comment) => typeof comment.body === 'string' && comment.body.startsWith(MARKER));
  const written = previous
    ? await call('PATCH', `/repos/${repository}/issues/comments/${previous.id}`, { body })
    : await call('POST', `/repos/${repository}/issues/${pr}/comments`, { body });
  console.log(`llm-lab action: ${previous ? 'updated' : 'posted'} ${written.html_url ?? `comment ${written.id}`}`);
} catch (error) {
  console.log(`::warning::llm-lab action: could not comment on pull request #${pr}: ${error instanceof Error ? error.message : String(error)}`);
}
