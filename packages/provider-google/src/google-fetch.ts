/** Node's bundled undici keeps its global dispatcher under this symbol (what `@google/genai` itself reads). */
const UNDICI_GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

interface DispatcherLike {
  dispatch(options: Record<string, unknown>, handler: unknown): boolean;
}

/**
 * The `fetch` given to the SDK. In Node, `@google/genai` sends requests through undici's global
 * dispatcher with its header and body timeouts turned off (a long generation may take minutes
 * before its first byte; LLM Lab's own `timeoutMs` deadline bounds the call instead). It finds
 * that dispatcher on `globalThis`, which fails inside sandboxed realms such as jest's VM
 * contexts ("Undici globalDispatcher is not available"). This fetch does the same where the
 * dispatcher is reachable, and otherwise falls back to plain `fetch` (undici's default
 * timeouts of 300 s then apply).
 */
export const googleFetch: typeof fetch = (input, init) => {
  const read = () => (globalThis as Record<symbol, unknown>)[UNDICI_GLOBAL_DISPATCHER] as DispatcherLike | undefined;
  // Node sets the dispatcher up lazily; making a Headers object triggers it (as the SDK does).
  if (read() === undefined && typeof Headers !== 'undefined') new Headers();
  const dispatcher = read();
  if (!dispatcher || typeof dispatcher.dispatch !== 'function' || (init && 'dispatcher' in init)) return fetch(input, init);
  const noTimeouts: DispatcherLike = {
    dispatch: (options, handler) => dispatcher.dispatch({ ...options, headersTimeout: 0, bodyTimeout: 0 }, handler),
  };
  return fetch(input, { ...init, dispatcher: noTimeouts } as unknown as RequestInit);
};
