/**
 * The group's state item and registry entry: reads, and the one conditional write through which
 * every membership change goes.
 */
import { FloeError } from "../../../client/src/errors.js";
import { itemSizeBytes } from "../adapters/store-rules.js";
import type { Clock } from "../ports/clock.js";
import type { ManifestItem, ManifestStore } from "../ports/manifest-store.js";
import { GROUP_STATE_SK, GROUPS_PK, groupOfRegistrySk, groupPk, groupRegistrySk } from "./group-keys.js";
import type { GroupLimits } from "./group-limits.js";
import { type GroupState, retainUntil, stateFromItem, stateToItem } from "./group-state.js";
import { retrying } from "./retry.js";

/** What one attempt of an update decided: a state to write (or none) and the caller's answer. */
export type Decision<T> = { write?: GroupState; result: T };

export interface UpdateContext {
  now: number;
  /** True after an attempt whose write failed or may have landed: the state may hold our own write. */
  retrying: boolean;
}

export class GroupStore {
  constructor(
    private readonly manifest: ManifestStore,
    private readonly clock: Clock,
    private readonly limits: GroupLimits,
    private readonly random: () => number,
  ) {}

  async read(group: string): Promise<GroupState | undefined> {
    return (await this.readItem(group))?.state;
  }

  private async readItem(group: string): Promise<{ state: GroupState; bytes: number } | undefined> {
    const item = await this.manifest.get(groupPk(group), GROUP_STATE_SK);
    return item ? { state: stateFromItem(group, item), bytes: itemSizeBytes(item) } : undefined;
  }

  /**
   * Read, decide, write if asked, all over again if another writer got there first.
   *
   *   agent 1 (B's heartbeat)           state (v=7)                 agent 2 (C joins)
   *   read v=7 ─────────────────────────────┤
   *                                         ├──────────────────────── read v=7
   *                                         ◀── put v=8 (C added, p -> C's target) if v=7: ok
   *   put v=8 (B granted p) if v=7: FAILS ─▶
   *   re-read v=8, decide again: p is now C's target, B gets nothing
   * Without the condition both writes would land from the same read, and p could be granted to
   * B and C at once: two live owners. `absent` plays the same role for the first write.
   */
  async update<T>(
    group: string,
    decide: (current: GroupState | undefined, context: UpdateContext) => Promise<Decision<T>>,
  ): Promise<T> {
    const options = {
      clock: this.clock,
      random: this.random,
      timeoutMs: this.limits.opTimeoutMs,
      what: `group ${group} update`,
    };
    return retrying(options, async (retry) => {
      const read = await this.readItem(group);
      const current = read?.state;
      const now = this.clock.now();
      const decision = await decide(current, { now, retrying: retry > 0 });
      const next = decision.write;
      if (!next) return decision.result;
      const keepUntil = retainUntil(next, this.limits.retentionMs);
      const renewRegistry = next.listedUntil < keepUntil;
      // The registry entry must outlive the state item (TTL), or a live group would vanish from
      // the list; renewing it one retention period ahead keeps this to one extra write per period.
      if (renewRegistry) next.listedUntil = keepUntil + this.limits.retentionMs;
      const item = stateToItem(next, this.limits.retentionMs);
      this.checkBudget(group, item, read?.bytes ?? 0);
      // Registry first: if the state write then fails nothing is lost, and `listedUntil` in the
      // state only ever records a registry write that happened.
      if (renewRegistry) await this.putRegistry(group, next.listedUntil);
      await this.manifest.put(
        item,
        current ? { kind: "version", version: current.version } : { kind: "absent" },
      );
      return decision.result;
    });
  }

  /**
   * Refuses a write that would take the state item past its byte budget, before anything is
   * written. Only growth is refused: a write that keeps or shrinks an item already over the
   * budget (partitions were added to its topics since) goes through, so leaves and heartbeats
   * that release partitions always land and the group can shrink back.
   */
  private checkBudget(group: string, item: ManifestItem, currentBytes: number): void {
    const bytes = itemSizeBytes(item);
    const limit = this.limits.stateBytesMax;
    if (bytes <= limit || bytes <= currentBytes) return;
    throw new FloeError(
      "group_full",
      `group ${group}'s state would take ${bytes} bytes, over its budget of ${limit}: fewer members, topics or partitions`,
      { limit_bytes: limit },
    );
  }

  /** Names of all groups, sorted. */
  async listGroups(): Promise<string[]> {
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.manifest.query(GROUPS_PK, {
        prefix: "g#",
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      for (const item of page.items) names.push(groupOfRegistrySk(item.sk));
      cursor = page.cursor;
    } while (cursor);
    return names;
  }

  /** Unconditional and idempotent: the entry only says "this group exists", with a TTL. */
  private async putRegistry(group: string, until: number): Promise<void> {
    await this.manifest.put(
      {
        pk: GROUPS_PK,
        sk: groupRegistrySk(group),
        version: 1,
        expiresAt: Math.ceil(until / 1000),
        data: { group },
      },
      { kind: "none" },
    );
  }
}
