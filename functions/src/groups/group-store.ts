/**
 * The group's state item and registry entry: reads, and the one conditional write through which
 * every membership change goes.
 */
import type { Clock } from "../ports/clock.js";
import type { ManifestStore } from "../ports/manifest-store.js";
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
    const item = await this.manifest.get(groupPk(group), GROUP_STATE_SK);
    return item ? stateFromItem(group, item) : undefined;
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
      const current = await this.read(group);
      const now = this.clock.now();
      const decision = await decide(current, { now, retrying: retry > 0 });
      const next = decision.write;
      if (!next) return decision.result;
      const keepUntil = retainUntil(next, this.limits.retentionMs);
      if (next.listedUntil < keepUntil) {
        // The registry entry must outlive the state item (TTL), or a live group would vanish from
        // the list; renewing it one retention period ahead keeps this to one extra write per period.
        // Registry first: if the state write then fails nothing is lost, and `listedUntil` in the
        // state only ever records a registry write that happened.
        next.listedUntil = keepUntil + this.limits.retentionMs;
        await this.putRegistry(group, next.listedUntil);
      }
      await this.manifest.put(
        stateToItem(next, this.limits.retentionMs),
        current ? { kind: "version", version: current.version } : { kind: "absent" },
      );
      return decision.result;
    });
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
