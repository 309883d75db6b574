/**
 * Settles like `promise`, or rejects with `errorFor(signal.reason)` as soon as `signal` aborts
 * (at once when it already has). The listener is removed when `promise` settles, so a long-lived
 * signal shared by many calls keeps none behind. `promise` itself is not stopped: the caller
 * decides what happens to it.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, errorFor: (reason: unknown) => Error): Promise<T> {
  if (signal.aborted) return Promise.reject(errorFor(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(errorFor(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
