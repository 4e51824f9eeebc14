/**
 * Structured concurrency for cases: the tasks a case starts (writers, readers, listers)
 * all end before the case does. The first failure stops the others through the shared
 * signal, every task is awaited, and only then is the first error thrown — so a failed
 * case never leaves writers running into the next case or into a removed directory.
 */
export async function together(outer: AbortSignal, tasks: ReadonlyArray<(stop: AbortSignal) => Promise<void>>): Promise<void> {
  const controller = new AbortController();
  const forward = (): void => controller.abort(outer.reason);
  if (outer.aborted) forward();
  else outer.addEventListener('abort', forward, { once: true });
  let failure: { error: unknown } | undefined;
  try {
    await Promise.all(
      tasks.map((task) =>
        task(controller.signal).catch((error: unknown) => {
          failure ??= { error };
          controller.abort(error);
        }),
      ),
    );
  } finally {
    outer.removeEventListener('abort', forward);
  }
  if (failure !== undefined) throw failure.error;
}

/** Awaits every promise (none is left running), then throws the first rejection, if any. */
export async function settleAll<T>(promises: ReadonlyArray<Promise<T>>): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** One turn of the event loop: a backend whose calls resolve without I/O cannot starve the others. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
