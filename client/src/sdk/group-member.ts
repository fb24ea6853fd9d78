/**
 * Membership of one consumer in a group (api.md § Consumer groups; KIP-848 style: the server
 * assigns, the member follows). The member joins, then heartbeats, reporting what it owns now;
 * each reply carries the current generation and assignment. A partition reaches a new owner
 * only after its previous owner stops listing it as owned, so the handover is:
 *
 *   member A (owns p)                server                       member B (joins)
 *   heartbeat owned=[p]  ───────►    assignment A=[], B=[]  ◄───  join
 *   stop reading p, commit p
 *   heartbeat owned=[]   ───────►    p is free: B=[p]
 *                                                    ───────►   heartbeat: assignment [p]
 *
 * Commits carry the generation, so a member that was expelled (a zombie) cannot move offsets.
 */
import { FloeError } from "../errors.js";
import type { TopicPartitions } from "./admin.js";
import { pathOf, type Transport } from "./transport.js";
import { arr, int, obj, optInt, str } from "./wire.js";

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface OffsetCommit extends TopicPartition {
  offset: number;
  metadata?: string | undefined;
}

export interface MembershipReply {
  generation: number;
  assignment: TopicPartition[];
  /** The server's advice on how often to heartbeat, when it gives one. */
  heartbeatIntervalMs: number | undefined;
}

function assignmentOf(value: unknown): TopicPartition[] {
  const out: TopicPartition[] = [];
  for (const [i, item] of arr(value ?? [], "assignment").entries()) {
    const o = obj(item, `assignment[${i}]`);
    const topic = str(o, "topic");
    for (const p of arr(o.partitions, "partitions")) {
      if (typeof p !== "number" || !Number.isSafeInteger(p))
        throw new FloeError("internal", "malformed assignment");
      out.push({ topic, partition: p });
    }
  }
  return out;
}

/** Groups partitions by topic, as the wire wants them. */
export function byTopic(tps: Iterable<TopicPartition>): TopicPartitions[] {
  const map = new Map<string, number[]>();
  for (const { topic, partition } of tps) {
    const list = map.get(topic) ?? [];
    list.push(partition);
    map.set(topic, list);
  }
  return [...map].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
}

/** The wire calls of one member; the loop that drives them lives in the consumer. */
export class GroupMember {
  memberId: string | undefined;
  generation = -1;

  constructor(
    private readonly transport: Transport,
    readonly group: string,
    private readonly topics: string[],
    private readonly sessionTimeoutMs: number,
  ) {}

  /**
   * Joins (or rejoins) the group.
   *
   * @example
   * const { assignment } = await member.join();
   */
  async join(): Promise<MembershipReply> {
    const o = obj(
      await this.transport.json({
        method: "POST",
        path: pathOf("v1", "groups", this.group, "members"),
        json: { topics: this.topics, session_timeout_ms: this.sessionTimeoutMs },
      }),
      "join reply",
    );
    this.memberId = str(o, "member_id");
    return this.accept(o);
  }

  /**
   * Reports what this member owns and learns its current assignment.
   *
   * @example
   * const { assignment } = await member.heartbeat([{ topic: "orders", partition: 0 }]);
   */
  async heartbeat(owned: Iterable<TopicPartition>): Promise<MembershipReply> {
    const o = obj(
      await this.transport.json({
        method: "POST",
        path: pathOf("v1", "groups", this.group, "members", this.requireId(), "heartbeat"),
        json: { generation: this.generation, owned: byTopic(owned) },
      }),
      "heartbeat reply",
    );
    return this.accept(o);
  }

  /**
   * Commits offsets (each the next offset to read) under the current generation.
   *
   * @example
   * await member.commit([{ topic: "orders", partition: 0, offset: 42 }]);
   */
  async commit(offsets: OffsetCommit[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.transport.json({
      method: "POST",
      path: pathOf("v1", "groups", this.group, "offsets"),
      json: {
        member_id: this.requireId(),
        generation: this.generation,
        offsets: offsets.map((o) => ({
          topic: o.topic,
          partition: o.partition,
          offset: o.offset,
          ...(o.metadata !== undefined ? { metadata: o.metadata } : {}),
        })),
      },
    });
  }

  /**
   * The group's committed offsets for one topic.
   *
   * @example
   * const committed = await member.committed("orders"); // Map "orders:0" -> 42
   */
  async committed(topic: string): Promise<Map<number, number>> {
    const reply = await this.transport.json({
      method: "GET",
      path: pathOf("v1", "groups", this.group, "offsets"),
      query: { topic },
    });
    const list = Array.isArray(reply) ? reply : arr(obj(reply, "offsets reply").offsets ?? [], "offsets");
    const out = new Map<number, number>();
    for (const [i, item] of list.entries()) {
      const o = obj(item, `offsets[${i}]`);
      if (str(o, "topic") === topic) out.set(int(o, "partition"), int(o, "offset"));
    }
    return out;
  }

  /**
   * Leaves the group, so its partitions move at once instead of after the session timeout.
   *
   * @example
   * await member.leave();
   */
  async leave(): Promise<void> {
    if (this.memberId === undefined) return;
    const id = this.memberId;
    this.memberId = undefined;
    await this.transport.json({ method: "DELETE", path: pathOf("v1", "groups", this.group, "members", id) });
  }

  private requireId(): string {
    if (this.memberId === undefined)
      throw new FloeError("member_not_found", "not a member of the group (yet)");
    return this.memberId;
  }

  private accept(o: Record<string, unknown>): MembershipReply {
    this.generation = int(o, "generation");
    return {
      generation: this.generation,
      assignment: assignmentOf(o.assignment),
      heartbeatIntervalMs: optInt(o, "heartbeat_interval_ms"),
    };
  }
}
