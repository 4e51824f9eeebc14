import { expect } from 'vitest';

/**
 * Checks how a following iterator (a tail that waits for more data) ends while it waits:
 * after `ready` items have been taken, an abort of its signal makes the pending `next()`
 * reject with `AbortError`, and `return()` makes the pending `next()` resolve as done (and
 * every later one too). Then, once background work had time to settle, that nothing
 * rejected unseen (`unhandledRejection`). `open(signal?)` makes a fresh iterator each time.
 */
export async function expectFollowerSettles(open: (signal?: AbortSignal) => AsyncIterator<unknown>, ready: number): Promise<void> {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    // Abort while the reader waits: the pending next() rejects with the reason.
    const controller = new AbortController();
    const it = open(controller.signal);
    for (let n = ready; n > 0; n--) await it.next();
    const pending = it.next();
    await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await it.return?.();
    // return() while the reader waits: it ends the wait and the pending next() is done.
    const it2 = open();
    for (let n = ready; n > 0; n--) await it2.next();
    const pending2 = it2.next();
    await new Promise((r) => setTimeout(r, 20));
    await it2.return?.();
    await expect(pending2).resolves.toMatchObject({ done: true });
    await expect(it2.next()).resolves.toMatchObject({ done: true });
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  expect(unhandled).toEqual([]);
}
