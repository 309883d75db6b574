import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LLMLabError, sanitise, sanitiseValue } from '@llm-lab/core';
import { collectReportData, type CollectOptions, type ReportSource } from './collect.js';
import { renderReportHtml } from './html/page.js';
import type { ReportData } from './types.js';

/**
 * The report of a stored run as one self-contained HTML document (see {@link collectReportData}
 * for the options). What it shows passes through the sanitiser twice: the data before it is
 * rendered (HTML escaping would hide a URL's password from a pattern), the page after.
 */
export async function buildReport(storage: ReportSource, runIdOrPrefix: string, options: CollectOptions = {}): Promise<{ html: string; data: ReportData }> {
  const data = sanitiseValue(await collectReportData(storage, runIdOrPrefix, options));
  return { html: sanitise(renderReportHtml(data)), data };
}

/** Writes the report of a stored run to `file`; returns the absolute path and what it holds. */
export async function writeReport(storage: ReportSource, runIdOrPrefix: string, file: string, options: CollectOptions = {}): Promise<{ path: string; data: ReportData; bytes: number }> {
  const { html, data } = await buildReport(storage, runIdOrPrefix, options);
  const path = resolve(file);
  try {
    await writeFile(path, html);
  } catch (error) {
    throw new LLMLabError('config_report_out', `Cannot write the report to '${file}': ${(error as Error).message}. Give --out a file in a folder that exists and can be written.`, { cause: error });
  }
  return { path, data, bytes: Buffer.byteLength(html) };
}
