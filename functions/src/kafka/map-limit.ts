/**
 * `Promise.all(items.map(fn))` with at most `limit` calls running at once, results in input
 * order. A request naming thousands of partitions must not start thousands of DynamoDB reads at
 * once (each holds a socket and memory); nor should it read them one by one (latency).
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  const workers = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker);
  await Promise.all(workers);
  return results;
}
