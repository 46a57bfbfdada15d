/** Groups an async stream into arrays of at most `size` items. */
export async function* inBatches<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of source) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Runs `fn` over a stream with at most `limit` calls in flight and yields results as they complete (not in
 * input order). The source is pulled only when a slot is free, which bounds memory.
 */
export async function* mapConcurrent<T, R>(
  source: AsyncIterable<T>,
  limit: number,
  fn: (item: T) => Promise<R>,
  /** Cleans up results that finish after the stream was abandoned (a failure elsewhere). */
  discard?: (result: R) => Promise<void>,
): AsyncGenerator<R> {
  const it = source[Symbol.asyncIterator]();
  const inFlight = new Map<number, Promise<{ id: number; result: R }>>();
  let nextId = 0;
  let done = false;
  try {
    for (;;) {
      while (!done && inFlight.size < limit) {
        const r = await it.next();
        if (r.done) {
          done = true;
          break;
        }
        const id = nextId++;
        inFlight.set(
          id,
          fn(r.value).then((result) => ({ id, result })),
        );
      }
      if (inFlight.size === 0) return;
      const { id, result } = await Promise.race(inFlight.values());
      inFlight.delete(id);
      yield result;
    }
  } finally {
    // Let the others settle so that no temp file is written after the failure is reported.
    for (const r of await Promise.allSettled(inFlight.values())) {
      if (r.status === 'fulfilled' && discard) await discard(r.value.result).catch(() => undefined);
    }
    await it.return?.();
  }
}

/**
 * Pulls the next item of `source` while the consumer works on the current one, so that two stages (for
 * example a batch lookup and the previous batch's save) overlap instead of taking turns.
 */
export async function* prefetch<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let next = it.next();
  try {
    for (;;) {
      const r = await next;
      if (r.done) return;
      next = it.next();
      yield r.value;
    }
  } finally {
    next.catch(() => undefined);
    await it.return?.(undefined);
  }
}

/** Flattens a stream of arrays. */
export async function* flatten<T>(source: AsyncIterable<T[]>): AsyncGenerator<T> {
  for await (const batch of source) yield* batch;
}
