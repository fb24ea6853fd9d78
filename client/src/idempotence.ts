/**
 * The idempotence window: the one number the producer and the partition head must agree on.
 *
 * The head remembers the last `PRODUCER_BATCHES_KEPT` batches per idempotent producer per
 * partition (functions/src/engine/commit-plan.ts) and acknowledges a retry of any of them with
 * its original offsets; a retry of an older batch is refused as `out_of_order_sequence`, although
 * it is in the log. So the producer (client/src/sdk/partition-sender.ts) never has a batch in
 * flight more than `PRODUCER_BATCHES_KEPT - 1` batches ahead of its oldest unacknowledged one:
 * whatever the server wrote since, a retry of that oldest batch is still remembered.
 *
 * Kafka's broker keeps 5 too; that is why its max.in.flight.requests.per.connection is at most 5
 * with idempotence. Lives in `client/` because the client owns the protocol: the server imports
 * it, so the two sides cannot drift.
 */
export const PRODUCER_BATCHES_KEPT = 5;
