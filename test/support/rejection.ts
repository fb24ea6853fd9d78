/**
 * The reason `promise` rejected with; throws if it fulfilled. Await it right where the promise is
 * made: a rejected promise left without a handler while the test awaits something else is
 * reported by Node (and vitest) as an unhandled rejection.
 */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject, but it fulfilled");
}
