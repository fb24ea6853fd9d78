/**
 * Kafka's classic consumer-group protocol (JoinGroup / SyncGroup / Heartbeat / LeaveGroup, offsets
 * and group admin) behind the listener's `KafkaGroupCoordinator` seam.
 *
 * Where state lives (docs/design/kafka-groups.md):
 * - the group (generation, phase, members with their session expiry and metadata, the barrier's
 *   joiners, assignments) is one manifest item, `g#<group>` / `classic`, changed only by
 *   version-conditional writes (classic-state.ts, classic-rules.ts);
 * - committed offsets are the items the HTTP protocol uses (classic-offsets.ts), fenced by
 *   generation in the manifest;
 * - only the requests waiting on the barrier (JoinGroup, a follower's SyncGroup) live in this
 *   process's memory. They are answered from the state item: after this process's own writes at
 *   once, after another agent's writes when `tick()` re-reads the item.
 *
 * FindCoordinator maps a group to one live agent (broker-directory.ts), and requests reaching any
 * other agent are answered NOT_COORDINATOR. Because nothing but the waiters is held in memory, a
 * coordinator that dies loses nothing: the next one reads the item and carries on; members whose
 * requests failed rediscover it and rejoin.
 *
 * Request costs (DynamoDB requests; S = state item size in KB): every group request 1 GetItem (S/4
 * RCU); a join, a sync, a leave, an expiry and a lease renewal (once per half session per member)
 * 1 conditional PutItem (S WCU); a leader's sync 1 offsets Query + 1 GetItem and 1 PutItem per
 * partition that changes hands; a commit of k partitions k GetItem + k PutItem; a waiting request
 * 1 GetItem of its group per `tickMs`.
 */
import { randomUUID } from "node:crypto";
import {
  GROUP_STATE_SK,
  GROUPS_PK,
  groupOfRegistrySk,
  groupPk,
  groupRegistrySk,
} from "../groups/group-keys.js";
import { type GroupState, isLive, stateFromItem } from "../groups/group-state.js";
import type { PartitionDirectory } from "../groups/partition-directory.js";
import { retrying } from "../groups/retry.js";
import type { Clock } from "../ports/clock.js";
import type { ManifestStore } from "../ports/manifest-store.js";
import { ClassicOffsets, mapLimit, validTopicName } from "./classic-offsets.js";
import {
  advance,
  applyHeartbeat,
  applyJoin,
  applyLeave,
  applySync,
  cloneGroup,
  emptyGroup,
  joinFailure,
  joinOutcome,
  memberCheck,
  syncOutcome,
} from "./classic-rules.js";
import {
  CLASSIC_STATE_SK,
  type ClassicGroup,
  type ClassicLimits,
  DEFAULT_CLASSIC_LIMITS,
  groupFromItem,
  groupToItem,
  itemBytes,
  retainUntil,
} from "./classic-state.js";
import { CONSUMER_PROTOCOL_TYPE, subscribedTopics } from "./consumer-protocol.js";
import { KafkaGroupError as E } from "./group-errors.js";
import type {
  BrokerDirectory,
  DescribedGroup,
  HeartbeatInput,
  JoinGroupInput,
  JoinGroupOutput,
  KafkaErrorCode,
  KafkaGroupCoordinator,
  LeaveGroupInput,
  LeaveGroupOutput,
  ListedGroup,
  OffsetCommitInput,
  OffsetCommitOutput,
  OffsetFetchInput,
  OffsetFetchOutput,
  SyncGroupInput,
  SyncGroupOutput,
} from "./group-port.js";

export interface ClassicGroupsOptions {
  manifest: ManifestStore;
  clock: Clock;
  directory: BrokerDirectory;
  /** Topics as the engine knows them: commits to partitions that do not exist answer UNKNOWN_TOPIC_OR_PARTITION. */
  partitions: PartitionDirectory;
  limits?: Partial<ClassicLimits>;
  random?: () => number;
  /** Issues member ids (`<clientId>-<uuid>` unless a test wants them predictable). */
  newId?: (clientId: string) => string;
  /** How often waiting requests re-read their group (barrier deadlines, other agents' writes). */
  tickMs?: number;
  /** False in tests: they call `tick()` themselves after moving the fake clock. */
  timers?: boolean;
}

/** The state item would outgrow its byte budget: the request that would grow it is refused. */
class ItemBudgetError extends Error {
  constructor(readonly bytes: number) {
    super(`classic group state would take ${bytes} bytes`);
  }
}

interface Waiter {
  /** Answers and returns true once the group state lets it; false to keep waiting. */
  settle(g: ClassicGroup | undefined): boolean;
  /** Answers at once with this code (shutdown). */
  abort(errorCode: KafkaErrorCode): void;
}

const DEFAULT_TICK_MS = 250;
const NO_BYTES = new Uint8Array();

export class ClassicGroupCoordinator implements KafkaGroupCoordinator {
  readonly limits: ClassicLimits;
  private readonly offsets: ClassicOffsets;
  private readonly random: () => number;
  private readonly newId: (clientId: string) => string;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private ticking = false;
  private closed = false;

  constructor(private readonly options: ClassicGroupsOptions) {
    this.limits = { ...DEFAULT_CLASSIC_LIMITS, ...options.limits };
    this.random = options.random ?? Math.random;
    this.newId = options.newId ?? ((clientId) => `${safeClientId(clientId)}-${randomUUID()}`);
    this.offsets = new ClassicOffsets(
      options.manifest,
      options.clock,
      this.limits,
      this.random,
      options.partitions,
    );
    if (options.timers !== false) {
      this.timer = setInterval(() => {
        this.tick().catch(() => {});
      }, options.tickMs ?? DEFAULT_TICK_MS);
      this.timer.unref();
    }
  }

  // ---- membership ----------------------------------------------------------------------------

  async joinGroup(input: JoinGroupInput): Promise<JoinGroupOutput> {
    const refused = await this.refusal(input.groupId);
    if (refused !== E.NONE) return joinFailure(refused, input.memberId);
    try {
      const decision = await this.update(input.groupId, async (g, now) => {
        if (g.members.length === 0 && (await this.httpGroupLive(input.groupId, now)))
          return {
            result: {
              kind: "reply" as const,
              output: joinFailure(E.INCONSISTENT_GROUP_PROTOCOL, input.memberId),
            },
          };
        const d = applyJoin(g, input, now, this.limits, () => this.newId(input.clientId));
        // Refusals change nothing; MEMBER_ID_REQUIRED records the id it hands out.
        const code = d.kind === "reply" ? d.output.errorCode : E.NONE;
        return { result: d, write: code === E.NONE || code === E.MEMBER_ID_REQUIRED };
      });
      if (decision.kind === "reply") return decision.output;
      return await this.wait<JoinGroupOutput>(
        input.groupId,
        (g) => joinOutcome(g, decision.memberId, decision.since),
        (code) => joinFailure(code, decision.memberId),
      );
    } catch (error) {
      return joinFailure(failureCode(error, E.GROUP_MAX_SIZE_REACHED), input.memberId);
    }
  }

  async syncGroup(input: SyncGroupInput): Promise<SyncGroupOutput> {
    const answer = (errorCode: number, assignment: Uint8Array = NO_BYTES): SyncGroupOutput => ({
      errorCode,
      protocolType: input.protocolType,
      protocolName: input.protocolName,
      assignment,
    });
    const refused = await this.refusal(input.groupId);
    if (refused !== E.NONE) return answer(refused);
    try {
      const outcome = await this.update(input.groupId, async (g, now, exists) => {
        const d = applySync(exists ? g : undefined, input, now, this.limits);
        if (d.kind === "reply") return { result: answer(d.errorCode, d.assignment) };
        if (d.kind === "wait") return { result: undefined, write: d.renewed };
        // The leader: fence what changes hands before anyone can learn its assignment.
        if ((await this.offsets.fenceAssignments(g)) === "superseded")
          return { result: answer(E.REBALANCE_IN_PROGRESS) };
        return { result: answer(E.NONE, d.assignment), write: true };
      });
      if (outcome) return this.withProtocol(outcome, input.groupId);
      return await this.wait<SyncGroupOutput>(
        input.groupId,
        (g) => {
          const o = syncOutcome(g, input.memberId, input.generationId);
          return o && { ...answer(o.errorCode, o.assignment), ...protocolOf(g) };
        },
        (code) => answer(code),
      );
    } catch (error) {
      return answer(failureCode(error, E.MESSAGE_TOO_LARGE));
    }
  }

  async heartbeat(input: HeartbeatInput): Promise<{ errorCode: KafkaErrorCode }> {
    const refused = await this.refusal(input.groupId);
    if (refused !== E.NONE) return { errorCode: refused };
    try {
      const errorCode = await this.update(input.groupId, async (g, now, exists) => {
        const r = applyHeartbeat(exists ? g : undefined, input, now);
        return { result: r.errorCode, write: r.changed };
      });
      return { errorCode };
    } catch (error) {
      return { errorCode: failureCode(error, E.COORDINATOR_NOT_AVAILABLE) };
    }
  }

  async leaveGroup(input: LeaveGroupInput): Promise<LeaveGroupOutput> {
    const each = (errorCode: number) =>
      input.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode }));
    const refused = await this.refusal(input.groupId);
    if (refused !== E.NONE) return { errorCode: refused, members: each(refused) };
    try {
      const codes = await this.update(input.groupId, async (g, now, exists) => {
        if (!exists) return { result: input.members.map(() => E.UNKNOWN_MEMBER_ID) };
        return { result: applyLeave(g, input.members, now, this.limits), write: true };
      });
      const members = input.members.map((m, i) => ({ ...m, errorCode: codes[i]! }));
      // v0-2 carry one member and answer its code at the top level; v3+ a code per member. A
      // one-member v3+ answer with the member's code on top too reads the same to clients (the
      // Java client's LeaveGroupResponse.error() falls back to the first member's error).
      return { errorCode: members.length === 1 ? members[0]!.errorCode : E.NONE, members };
    } catch (error) {
      const code = failureCode(error, E.COORDINATOR_NOT_AVAILABLE);
      return { errorCode: code, members: each(code) };
    }
  }

  // ---- offsets -------------------------------------------------------------------------------

  async commitOffsets(input: OffsetCommitInput): Promise<OffsetCommitOutput> {
    const refused = await this.refusal(input.groupId);
    if (refused !== E.NONE) return ClassicOffsets.refuseAll(input, refused);
    if (input.topics.reduce((n, t) => n + t.partitions.length, 0) > this.limits.maxPartitionsPerRequest)
      return ClassicOffsets.refuseAll(input, E.MESSAGE_TOO_LARGE);
    try {
      // The checks run on the state item as just read (expiry applied and written if it changed);
      // the offset writes are then fenced by the offset items' own conditions, not by this read.
      const checked = await this.update(input.groupId, async (g, now, exists) => {
        const simple = input.generationId < 0 && input.memberId === "";
        if (simple) {
          if (g.members.length > 0 || (await this.httpGroupLive(input.groupId, now)))
            return { result: { code: E.UNKNOWN_MEMBER_ID, g } };
          // A simple commit to a group never seen creates it (Empty), as Kafka does: its incarnation
          // is what lets a later join's fences refuse a simple commit racing it.
          return { result: { code: E.NONE, g }, write: !exists };
        }
        let code = memberCheck(
          exists ? g : undefined,
          input.memberId,
          input.groupInstanceId,
          input.generationId,
        );
        if (code === E.NONE && g.phase === "CompletingRebalance") code = E.REBALANCE_IN_PROGRESS;
        return { result: { code, g } };
      });
      if (checked.code !== E.NONE) return ClassicOffsets.refuseAll(input, checked.code);
      return await this.offsets.commit(
        checked.g,
        input,
        input.generationId < 0 && input.memberId === ""
          ? { kind: "simple", generation: checked.g.generation }
          : { kind: "member", memberId: input.memberId, generation: input.generationId },
      );
    } catch (error) {
      return ClassicOffsets.refuseAll(input, failureCode(error, E.COORDINATOR_NOT_AVAILABLE));
    }
  }

  async fetchOffsets(input: OffsetFetchInput): Promise<OffsetFetchOutput> {
    const refused = await this.refusal(input.groupId);
    if (refused !== E.NONE) return { errorCode: refused, topics: [] };
    const requested = input.topics?.reduce((n, t) => n + t.partitions.length, 0) ?? 0;
    if (requested > this.limits.maxPartitionsPerRequest)
      return { errorCode: E.MESSAGE_TOO_LARGE, topics: [] };
    try {
      return { errorCode: E.NONE, topics: await this.offsets.fetch(input.groupId, input.topics) };
    } catch (error) {
      return { errorCode: failureCode(error, E.COORDINATOR_NOT_AVAILABLE), topics: [] };
    }
  }

  // ---- admin ---------------------------------------------------------------------------------

  async describeGroups(groupIds: string[]): Promise<DescribedGroup[]> {
    return mapLimit(groupIds, 8, async (groupId, i) => {
      const dead = (errorCode: number): DescribedGroup => ({
        errorCode,
        groupId,
        state: "Dead",
        protocolType: "",
        protocolName: "",
        members: [],
      });
      if (i >= this.limits.maxGroupsPerRequest) return dead(E.INVALID_REQUEST);
      const refused = await this.refusal(groupId);
      if (refused !== E.NONE) return dead(refused);
      try {
        const now = this.options.clock.now();
        const g = await this.read(groupId);
        if (!g) {
          // An HTTP-protocol group: its members are described by the HTTP API (they have no
          // Kafka metadata or assignment bytes); Kafka tools see it exists and whether it is active.
          const http = await this.readHttpGroup(groupId);
          if (!http) return dead(E.NONE);
          return { ...dead(E.NONE), state: http.members.some((m) => isLive(m, now)) ? "Stable" : "Empty" };
        }
        advance(g, now, this.limits);
        return {
          errorCode: E.NONE,
          groupId,
          state: g.phase,
          protocolType: g.protocolType ?? "",
          protocolName:
            g.phase === "Stable" || g.phase === "CompletingRebalance" ? (g.protocolName ?? "") : "",
          members: g.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            metadata: m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? NO_BYTES,
            assignment: m.assignment,
          })),
        };
      } catch (error) {
        return dead(failureCode(error, E.COORDINATOR_NOT_AVAILABLE));
      }
    });
  }

  /**
   * Groups this agent coordinates (admin clients ask every broker and merge the answers), classic
   * and HTTP-protocol ones alike; states are Kafka's names, compared case-insensitively. The port
   * has no error code for it: a store failure throws, for the listener to answer as it answers
   * any failed request.
   */
  async listGroups(statesFilter: string[]): Promise<ListedGroup[]> {
    const wanted = new Set(statesFilter.map((s) => s.toLowerCase()));
    const names = await this.registeredGroups();
    const self = this.options.directory.self().nodeId;
    const now = this.options.clock.now();
    const listed = await mapLimit(names, 8, async (name): Promise<ListedGroup | undefined> => {
      if ((await this.options.directory.coordinatorFor(name)).nodeId !== self) return undefined;
      const g = await this.read(name);
      if (g) {
        advance(g, now, this.limits);
        return { groupId: name, protocolType: g.protocolType ?? "", state: g.phase };
      }
      const http = await this.readHttpGroup(name);
      if (!http) return undefined;
      return {
        groupId: name,
        protocolType: "",
        state: http.members.some((m) => isLive(m, now)) ? "Stable" : "Empty",
      };
    });
    return listed.filter(
      (l): l is ListedGroup => l !== undefined && (wanted.size === 0 || wanted.has(l.state.toLowerCase())),
    );
  }

  /**
   * DeleteGroups: only a group without live members (of either protocol) may go; its offsets go
   * with it. The state item is first rewritten as a new, empty incarnation (conditional on the
   * version read, so a join racing the delete either lands first and the delete answers
   * NON_EMPTY_GROUP, or lands after it in a fresh group whose fences the old offsets cannot match).
   */
  async deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: KafkaErrorCode }[]> {
    return mapLimit(groupIds, 4, async (groupId, i) => {
      if (i >= this.limits.maxGroupsPerRequest) return { groupId, errorCode: E.INVALID_REQUEST };
      const refused = await this.refusal(groupId);
      if (refused !== E.NONE) return { groupId, errorCode: refused };
      try {
        const errorCode = await this.locked(groupId, () => this.deleteGroup(groupId));
        return { groupId, errorCode };
      } catch (error) {
        return { groupId, errorCode: failureCode(error, E.COORDINATOR_NOT_AVAILABLE) };
      }
    });
  }

  /**
   * OffsetDelete, with Kafka's rules: a group with live members keeps the offsets of the topics
   * they subscribe to (GROUP_SUBSCRIBED_TO_TOPIC); a non-"consumer" group with members refuses
   * outright (NON_EMPTY_GROUP); an unknown group is GROUP_ID_NOT_FOUND.
   */
  async deleteOffsets(
    groupId: string,
    topics: { name: string; partitions: number[] }[],
  ): Promise<{
    errorCode: KafkaErrorCode;
    topics: { name: string; partitions: { partition: number; errorCode: KafkaErrorCode }[] }[];
  }> {
    const refused = await this.refusal(groupId);
    if (refused !== E.NONE) return { errorCode: refused, topics: [] };
    if (topics.reduce((n, t) => n + t.partitions.length, 0) > this.limits.maxPartitionsPerRequest)
      return { errorCode: E.MESSAGE_TOO_LARGE, topics: [] };
    try {
      const now = this.options.clock.now();
      const g = await this.read(groupId);
      if (g) advance(g, now, this.limits);
      const http = await this.readHttpGroup(groupId);
      if (!g && !http && !(await this.offsets.hasAny(groupId)))
        return { errorCode: E.GROUP_ID_NOT_FOUND, topics: [] };
      const subscribed = new Set<string>();
      if (g && g.members.length > 0) {
        if (g.protocolType !== CONSUMER_PROTOCOL_TYPE) return { errorCode: E.NON_EMPTY_GROUP, topics: [] };
        for (const m of g.members) {
          const p = m.protocols.find((x) => x.name === g.protocolName) ?? m.protocols[0];
          for (const t of (p && subscribedTopics(p.metadata)) ?? []) subscribed.add(t);
        }
      }
      for (const m of http?.members ?? []) if (isLive(m, now)) for (const t of m.topics) subscribed.add(t);
      const out = await mapLimit(topics, 4, async (t) => ({
        name: t.name,
        partitions: await mapLimit(t.partitions, 16, async (partition) => {
          if (!validTopicName(t.name) || partition < 0)
            return { partition, errorCode: E.UNKNOWN_TOPIC_OR_PARTITION };
          if (subscribed.has(t.name)) return { partition, errorCode: E.GROUP_SUBSCRIBED_TO_TOPIC };
          await this.offsets.remove(groupId, { topic: t.name, partition });
          return { partition, errorCode: E.NONE };
        }),
      }));
      return { errorCode: E.NONE, topics: out };
    } catch (error) {
      return { errorCode: failureCode(error, E.COORDINATOR_NOT_AVAILABLE), topics: [] };
    }
  }

  // ---- time ----------------------------------------------------------------------------------

  /**
   * Re-reads every group with a waiting request: applies what time decides (expired sessions, a
   * barrier's deadline), writes that, and answers the waiters the state now lets through. The
   * real-time interval calls it every `tickMs`; tests call it after moving the fake clock.
   */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await mapLimit([...this.waiters.keys()], 8, (group) =>
        this.update(group, async (g, now, exists) => ({
          result: undefined,
          write: exists && advance(g, now, this.limits),
        })).catch(() => {}),
      );
    } finally {
      this.ticking = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // Members waiting here must look for the group's next coordinator.
    for (const set of this.waiters.values()) for (const w of set) w.abort(E.NOT_COORDINATOR);
    this.waiters.clear();
  }

  // ---- internals -----------------------------------------------------------------------------

  /** INVALID_GROUP_ID / NOT_COORDINATOR, or NONE when this agent serves the group. */
  private async refusal(groupId: string): Promise<KafkaErrorCode> {
    if (this.closed) return E.NOT_COORDINATOR;
    if (!validGroupId(groupId)) return E.INVALID_GROUP_ID;
    try {
      const coordinator = await this.options.directory.coordinatorFor(groupId);
      return coordinator.nodeId === this.options.directory.self().nodeId ? E.NONE : E.NOT_COORDINATOR;
    } catch {
      return E.COORDINATOR_NOT_AVAILABLE;
    }
  }

  private async read(groupId: string): Promise<ClassicGroup | undefined> {
    const item = await this.options.manifest.get(groupPk(groupId), CLASSIC_STATE_SK);
    return item ? groupFromItem(groupId, item) : undefined;
  }

  private async readHttpGroup(groupId: string): Promise<GroupState | undefined> {
    const item = await this.options.manifest.get(groupPk(groupId), GROUP_STATE_SK);
    return item ? stateFromItem(groupId, item) : undefined;
  }

  /** One group id, one protocol at a time: an HTTP-protocol group with live members blocks classic joins. */
  private async httpGroupLive(groupId: string, now: number): Promise<boolean> {
    const http = await this.readHttpGroup(groupId);
    return http?.members.some((m) => isLive(m, now)) ?? false;
  }

  /**
   * Read, decide, write (version-conditional) if asked, under this process's lock for the group so
   * its own requests do not race each other; again from a fresh read if another agent won. After a
   * write, waiters are answered from the state written.
   *
   *   agent 1 (old coordinator, paused)   g#grp/classic (v=7, gen 4)     agent 2 (new coordinator)
   *   read v=7 (member A leaves) ─────────────┤
   *                                           ├──────────────────────────── read v=7; barrier: gen 5
   *                                           ◀──── put v=8 gen 5 if v=7: ok
   *   put v=8 (A removed, gen 4) if v=7: FAILS
   *   re-read v=8 and decide again on gen 5
   * Without the condition the paused coordinator's write would undo generation 5: two leaders,
   * two assignments for one generation.
   */
  private async update<T>(
    groupId: string,
    decide: (g: ClassicGroup, now: number, exists: boolean) => Promise<{ result: T; write?: boolean }>,
  ): Promise<T> {
    return this.locked(groupId, () =>
      retrying(
        {
          clock: this.options.clock,
          random: this.random,
          timeoutMs: this.limits.opTimeoutMs,
          what: `classic group ${groupId} update`,
        },
        async () => {
          const current = await this.read(groupId);
          const now = this.options.clock.now();
          const g = current ? cloneGroup(current) : emptyGroup(groupId, randomUUID(), now);
          const timeChanged = advance(g, now, this.limits);
          const decision = await decide(g, now, current !== undefined);
          if (decision.write || (timeChanged && current)) await this.write(g, current, now);
          this.notify(groupId, decision.write || (timeChanged && current) ? g : current);
          return decision.result;
        },
      ),
    );
  }

  private async write(g: ClassicGroup, current: ClassicGroup | undefined, now: number): Promise<void> {
    const item = groupToItem(g, this.limits.retentionMs, now);
    const bytes = itemBytes(item);
    if (bytes > this.limits.maxItemBytes) throw new ItemBudgetError(bytes);
    const keepUntil = retainUntil(g, this.limits.retentionMs, now);
    if (g.listedUntil < keepUntil) {
      // Registry first (as group-store.ts does): the entry must outlive the state item's TTL.
      g.listedUntil = keepUntil + this.limits.retentionMs;
      item.data.listed_until = g.listedUntil;
      await this.options.manifest.put(
        {
          pk: GROUPS_PK,
          sk: groupRegistrySk(g.name),
          version: 1,
          expiresAt: Math.ceil(g.listedUntil / 1000),
          data: { group: g.name },
        },
        { kind: "none" },
      );
    }
    await this.options.manifest.put(
      item,
      current ? { kind: "version", version: current.version } : { kind: "absent" },
    );
    g.version = item.version;
  }

  private async deleteGroup(groupId: string): Promise<KafkaErrorCode> {
    const now = this.options.clock.now();
    const current = await this.read(groupId);
    const g = current ? cloneGroup(current) : undefined;
    if (g) advance(g, now, this.limits);
    if (g && g.members.length > 0) return E.NON_EMPTY_GROUP;
    const httpItem = await this.options.manifest.get(groupPk(groupId), GROUP_STATE_SK);
    const http = httpItem ? stateFromItem(groupId, httpItem) : undefined;
    if (http?.members.some((m) => isLive(m, now))) return E.NON_EMPTY_GROUP;
    if (!current && !http && !(await this.offsets.hasAny(groupId))) return E.GROUP_ID_NOT_FOUND;
    const fresh = emptyGroup(groupId, randomUUID(), now);
    fresh.generation = (g?.generation ?? 0) + 1;
    fresh.listedUntil = current?.listedUntil ?? 0;
    await this.write(fresh, current, now);
    for (const r of await this.offsets.store.list(groupId)) await this.offsets.remove(groupId, r);
    if (httpItem)
      await this.options.manifest.delete(groupPk(groupId), GROUP_STATE_SK, {
        kind: "version",
        version: httpItem.version,
      });
    await this.options.manifest.delete(groupPk(groupId), CLASSIC_STATE_SK, {
      kind: "version",
      version: fresh.version,
    });
    await this.options.manifest.delete(GROUPS_PK, groupRegistrySk(groupId));
    this.notify(groupId, undefined);
    return E.NONE;
  }

  private async locked<T>(groupId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(groupId) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => {});
    this.locks.set(groupId, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(groupId) === tail) this.locks.delete(groupId);
    }
  }

  private wait<T>(
    groupId: string,
    outcome: (g: ClassicGroup | undefined) => T | undefined,
    aborted: (code: KafkaErrorCode) => T,
  ): Promise<T> {
    return new Promise<T>((resolve) => {
      const waiter: Waiter = {
        settle: (g) => {
          const o = outcome(g);
          if (o === undefined) return false;
          resolve(o);
          return true;
        },
        abort: (code) => resolve(aborted(code)),
      };
      const set = this.waiters.get(groupId) ?? new Set<Waiter>();
      set.add(waiter);
      this.waiters.set(groupId, set);
      // The write that queued us may already have completed the barrier: look once now.
      this.read(groupId)
        .then((g) => this.notify(groupId, g))
        .catch(() => {});
    });
  }

  private notify(groupId: string, g: ClassicGroup | undefined): void {
    const set = this.waiters.get(groupId);
    if (!set) return;
    for (const w of set) if (w.settle(g)) set.delete(w);
    if (set.size === 0) this.waiters.delete(groupId);
  }

  private async withProtocol(out: SyncGroupOutput, groupId: string): Promise<SyncGroupOutput> {
    if (out.errorCode !== E.NONE || (out.protocolType !== null && out.protocolName !== null)) return out;
    const g = await this.read(groupId);
    return { ...out, ...protocolOf(g) };
  }

  private async registeredGroups(): Promise<string[]> {
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.options.manifest.query(GROUPS_PK, {
        prefix: "g#",
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      for (const item of page.items) names.push(groupOfRegistrySk(item.sk));
      cursor = page.cursor;
    } while (cursor);
    return names;
  }
}

function protocolOf(g: ClassicGroup | undefined): {
  protocolType: string | null;
  protocolName: string | null;
} {
  return { protocolType: g?.protocolType ?? null, protocolName: g?.protocolName ?? null };
}

/**
 * A budget refusal is `budgetCode`; anything else (store trouble that outlasted the retries, whose
 * writes may or may not have landed) is COORDINATOR_NOT_AVAILABLE: retriable, and every step is
 * written to decide again correctly on a state that already holds its own write.
 */
function failureCode(error: unknown, budgetCode: number): number {
  return error instanceof ItemBudgetError ? budgetCode : E.COORDINATOR_NOT_AVAILABLE;
}

/** Kafka allows any group id; ours must be safe inside item keys: the topic-name alphabet. */
function validGroupId(groupId: string): boolean {
  return validTopicName(groupId);
}

function safeClientId(clientId: string): string {
  const cleaned = clientId.replace(/[^a-zA-Z0-9._-]/g, "").slice(0, 64);
  return cleaned === "" ? "member" : cleaned;
}
