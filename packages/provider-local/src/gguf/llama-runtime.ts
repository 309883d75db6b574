import type * as NodeLlamaCppModule from 'node-llama-cpp';
import type { Llama, LlamaModel } from 'node-llama-cpp';

/** The part of node-llama-cpp LLM Lab uses, loaded on first need. */
export type NodeLlamaCpp = typeof NodeLlamaCppModule;

/** How to install the optional engine, shown when it is missing. */
export const NODE_LLAMA_CPP_INSTALL_HINT =
  "gguf models run in-process through the optional package 'node-llama-cpp', which is not installed. " +
  'Install it next to @llm-lab/provider-local with `pnpm add node-llama-cpp` (or `npm install node-llama-cpp`); ' +
  'for a CPU-only install add the prebuilt CPU binary of your platform, e.g. `@node-llama-cpp/linux-x64`, and skip the GPU ones ' +
  '(see the @llm-lab/provider-local README).';

/** Thrown when node-llama-cpp cannot be imported. */
export class NodeLlamaCppMissingError extends Error {
  constructor(cause: unknown) {
    super(NODE_LLAMA_CPP_INSTALL_HINT, { cause });
    this.name = 'NodeLlamaCppMissingError';
  }
}

let modulePromise: Promise<NodeLlamaCpp> | undefined;

/** Imports node-llama-cpp once (it is an optional dependency); rejects with {@link NodeLlamaCppMissingError}. */
export function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  modulePromise ??= import('node-llama-cpp').catch((error: unknown) => {
    modulePromise = undefined;
    throw new NodeLlamaCppMissingError(error);
  });
  return modulePromise;
}

interface LlamaEntry {
  llama: Promise<Llama>;
  users: number;
}

interface ModelEntry {
  model: Promise<LlamaModel>;
  users: number;
  gpu: false | 'auto';
}

const llamas = new Map<string, LlamaEntry>();
const models = new Map<string, ModelEntry>();

/** A loaded model borrowed from the process-wide cache; give it back with `release()`. */
export interface ModelLease {
  llama: Llama;
  model: LlamaModel;
  engine: NodeLlamaCpp;
  /** Frees the model (and the engine) when no one else uses it. Idempotent. */
  release(): Promise<void>;
}

async function releaseLlama(key: string): Promise<void> {
  const entry = llamas.get(key);
  if (!entry) return;
  entry.users -= 1;
  if (entry.users > 0) return;
  llamas.delete(key);
  await (await entry.llama.catch(() => undefined))?.dispose();
}

/**
 * Loads the GGUF file at `path` once per process and shares it: every lease of the same path
 * (and GPU setting) gets the same LlamaModel; the last `release()` disposes it, and the engine
 * when nothing else is loaded. Contexts are not shared: each caller makes its own.
 */
export async function acquireModel(path: string, options: { gpu: false | 'auto' }): Promise<ModelLease> {
  const engine = await loadNodeLlamaCpp();
  const llamaKey = String(options.gpu);
  let llamaEntry = llamas.get(llamaKey);
  if (!llamaEntry) {
    const llama = engine.getLlama({ gpu: options.gpu, logLevel: engine.LlamaLogLevel.error, progressLogs: false });
    llamaEntry = { llama, users: 0 };
    llamas.set(llamaKey, llamaEntry);
  }
  llamaEntry.users += 1;
  const modelKey = `${llamaKey}\u0000${path}`;
  let modelEntry = models.get(modelKey);
  try {
    const llama = await llamaEntry.llama;
    if (!modelEntry) {
      modelEntry = { model: llama.loadModel({ modelPath: path }), users: 0, gpu: options.gpu };
      models.set(modelKey, modelEntry);
    }
    modelEntry.users += 1;
    let model: LlamaModel;
    try {
      model = await modelEntry.model;
    } catch (error) {
      modelEntry.users -= 1;
      if (models.get(modelKey) === modelEntry) models.delete(modelKey);
      throw error;
    }
    const entry = modelEntry;
    let released = false;
    return {
      llama,
      model,
      engine,
      async release() {
        if (released) return;
        released = true;
        entry.users -= 1;
        if (entry.users === 0 && models.get(modelKey) === entry) {
          models.delete(modelKey);
          await model.dispose();
        }
        await releaseLlama(llamaKey);
      },
    };
  } catch (error) {
    if (llamas.get(llamaKey) === llamaEntry) await releaseLlama(llamaKey);
    throw error;
  }
}

/** How many models are loaded in this process right now (for tests and diagnostics). */
export function loadedModelCount(): number {
  return models.size;
}
