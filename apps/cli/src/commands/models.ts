import { resolve } from 'node:path';
import { isLLMLabError } from '@llm-lab/core';
import { defaultModelsDir, listModels, pullModel, type PullProgress } from '@llm-lab/provider-local';
import { ExitCode, reportError } from '../errors.js';
import { dim, formatCount, green, renderTable, shellWord, useColour } from '../output/format.js';

const MB = 1024 * 1024;

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * MB) return `${(bytes / (1024 * MB)).toFixed(2)} GB`;
  if (bytes >= MB) return `${(bytes / MB).toFixed(1)} MB`;
  return `${formatCount(Math.ceil(bytes / 1024))} KB`;
}

/** One progress line on a terminal (rewritten in place), at most every 200 ms. */
function progressPrinter(stream: NodeJS.WriteStream): { update(progress: PullProgress): void; done(): void } {
  let last = 0;
  let printed = false;
  return {
    update(progress) {
      if (!stream.isTTY) return;
      const now = Date.now();
      const complete = progress.totalBytes !== undefined && progress.receivedBytes >= progress.totalBytes;
      if (now - last < 200 && !complete) return;
      last = now;
      const share = progress.totalBytes ? ` (${((100 * progress.receivedBytes) / progress.totalBytes).toFixed(1)}%)` : '';
      const total = progress.totalBytes !== undefined ? ` / ${formatBytes(progress.totalBytes)}` : '';
      stream.write(`\r${formatBytes(progress.receivedBytes)}${total}${share}   `);
      printed = true;
    },
    done() {
      if (printed) stream.write('\n');
    },
  };
}

/**
 * `llm-lab models pull <source>`: downloads a GGUF model (an http(s) URL or a Hugging Face
 * `owner/repo/file.gguf` reference) into the models folder, resuming an interrupted download and
 * checking `--sha256` when given. Prints the path to use as `gguf:<path>` or `gguf:<name>`.
 */
export async function modelsPullCommand(source: string, flags: { dir?: string; sha256?: string }): Promise<number> {
  const dir = flags.dir ?? defaultModelsDir();
  const colour = useColour(process.stderr);
  const progress = progressPrinter(process.stderr);
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error('cancelled by the user'));
  process.once('SIGINT', onSigint);
  try {
    process.stderr.write(dim(`pulling ${source} into ${dir}\n`, colour));
    const result = await pullModel(source, {
      dir,
      ...(flags.sha256 !== undefined ? { sha256: flags.sha256 } : {}),
      onProgress: (update) => progress.update(update),
      signal: controller.signal,
    });
    progress.done();
    const name = result.fileName.replace(/\.gguf$/i, '');
    if (result.alreadyPresent) process.stderr.write(`${result.fileName} is already in ${dir}; nothing downloaded.\n`);
    else {
      const resumed = result.resumedFromBytes > 0 ? ` (resumed from ${formatBytes(result.resumedFromBytes)})` : '';
      process.stderr.write(`${green('downloaded', colour)} ${result.fileName}, ${formatBytes(result.sizeBytes)}${resumed}\n`);
    }
    process.stdout.write(`${result.path}\nsha256 ${result.sha256}\n${usage(`gguf:${name}`, dir)}\n`);
    return ExitCode.ok;
  } catch (error) {
    progress.done();
    if (controller.signal.aborted) {
      process.stderr.write('Download stopped; run the same command again to resume it.\n');
      return ExitCode.cancelled;
    }
    const code = reportError(error);
    return isLLMLabError(error) && /^model_(source|checksum)_invalid$/.test(error.code) ? ExitCode.badInput : code;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * How to use a listed model: the `chat` command and the config entry that find it. A name is
 * looked up in the default models folder only, so a folder given with `--dir` is passed on.
 */
function usage(id: string, dir: string): string {
  const folder = resolve(dir);
  const elsewhere = folder !== defaultModelsDir();
  const quoted = shellWord(folder);
  return [
    `Chat with it:  llm-lab chat ${id}${elsewhere ? ` --models-dir ${quoted}` : ''} "Once upon a time"`,
    `In a config:   - { id: "${id}"${elsewhere ? `, config: { modelsDir: ${JSON.stringify(folder)} }` : ''} }`,
  ].join('\n');
}

/** `llm-lab models list`: the GGUF models in the models folder (name, size, modified), or JSON with `--json`. */
export async function modelsListCommand(flags: { dir?: string; json?: boolean }): Promise<number> {
  const dir = flags.dir ?? defaultModelsDir();
  const models = listModels(dir);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(models.map((model) => ({ ...model, modifiedAt: model.modifiedAt.toISOString() })), null, 2)}\n`);
    return ExitCode.ok;
  }
  if (models.length === 0) {
    process.stdout.write(`No models in ${dir}. Download one with: llm-lab models pull <url | owner/repo/file.gguf>\n`);
    return ExitCode.ok;
  }
  const rows = models.map((model) => [`gguf:${model.name.replace(/\.gguf$/i, '')}`, formatBytes(model.sizeBytes), model.modifiedAt.toISOString().slice(0, 19).replace('T', ' '), model.path]);
  process.stdout.write(`${renderTable(['Provider id', 'Size', 'Modified', 'Path'], rows, { right: [1] })}\n`);
  process.stdout.write(`\n${usage(rows[0]?.[0] ?? 'gguf:<name>', dir)}\n`);
  return ExitCode.ok;
}
