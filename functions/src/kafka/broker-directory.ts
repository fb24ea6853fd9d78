/**
 * The Kafka listener's view of the agents: each agent registers in the manifest as a broker with a
 * heartbeat, and Metadata / FindCoordinator answer from the live ones (docs/design/kafka-groups.md).
 *
 *   pk        sk            item
 *   brokers   n#<node id>   the agent holding that node id: instance, host, port, expires_at (ms)
 *
 * The registration item is the heartbeat and the node-id claim at once: an agent claims the lowest
 * node id whose item is absent or expired (a conditional put), then refreshes it every
 * `heartbeatMs` with a version-conditional put. Its node id is stable for the life of the process
 * unless it stops heartbeating for longer than `ttlMs` (a pause, a store outage) and another agent
 * claims the id meanwhile: the refresh then fails its condition and the agent claims a new id.
 *
 * Two modes:
 * - "per-agent": every agent advertises its own host:port; Metadata names every live agent.
 * - "shared": every agent sits behind one load-balanced address. Clients open one connection per
 *   broker id, and through a load balancer a connection reaches a random agent whatever id it was
 *   opened for, so naming several brokers buys nothing and a coordinator id could never be reached
 *   on purpose. All agents therefore present themselves as ONE broker (`sharedNodeId`) at the
 *   shared address: Metadata lists it as the only broker and the leader of every partition,
 *   FindCoordinator returns it, and every agent accepts every group (the classic coordinator keeps
 *   the barrier's state in the manifest, so members reaching different agents still meet).
 *   kafkajs, librdkafka and the Java client all handle a one-broker cluster as the normal case.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Clock } from "../ports/clock.js";
import { ConditionFailedError, type ManifestItem, type ManifestStore } from "../ports/manifest-store.js";
import type { BrokerDirectory, BrokerInfo } from "./group-port.js";

export const BROKERS_PK = "brokers";
const NODE_PREFIX = "n#";

export interface BrokerDirectoryOptions {
  manifest: ManifestStore;
  clock: Clock;
  /** The address clients are told to connect to (FLOE_KAFKA_ADVERTISED). */
  advertised: { host: string; port: number };
  /** "shared": every agent behind one load-balanced address, presented as one broker. */
  mode?: "per-agent" | "shared";
  /** The single broker id of the shared mode. */
  sharedNodeId?: number;
  /** How often the registration is refreshed. */
  heartbeatMs?: number;
  /** A registration not refreshed for this long is dead (and its node id free). */
  ttlMs?: number;
  /** Node ids are 0 .. maxNodes-1 (bounds the claim scan and the brokers partition). */
  maxNodes?: number;
  /** False in tests: they call `heartbeat()` themselves instead of a real-time interval. */
  timers?: boolean;
  /** Identifies this process in its registration (random unless a test wants it fixed). */
  instanceId?: string;
}

export const DEFAULT_HEARTBEAT_MS = 3_000;
export const DEFAULT_TTL_MS = 10_000;
export const DEFAULT_MAX_NODES = 1024;

interface Registration {
  nodeId: number;
  instance: string;
  host: string;
  port: number;
  expiresAt: number;
  version: number;
}

export class NoNodeIdError extends Error {
  constructor(maxNodes: number) {
    super(`all ${maxNodes} Kafka broker node ids are held by live agents`);
    this.name = "NoNodeIdError";
  }
}

export class ManifestBrokerDirectory implements BrokerDirectory {
  private readonly heartbeatMs: number;
  private readonly ttlMs: number;
  private readonly maxNodes: number;
  private readonly instance: string;
  private readonly shared: boolean;
  /** Our registration as last written (undefined before start, or after losing our id). */
  private mine: Registration | undefined;
  /** The last query of every registration, and when it was made. */
  private view: { at: number; registrations: Registration[] } | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private beating: Promise<void> | undefined;

  constructor(private readonly options: BrokerDirectoryOptions) {
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.maxNodes = options.maxNodes ?? DEFAULT_MAX_NODES;
    this.instance = options.instanceId ?? randomUUID();
    this.shared = options.mode === "shared";
    if (this.ttlMs <= this.heartbeatMs) throw new Error("ttlMs must exceed heartbeatMs");
  }

  self(): BrokerInfo {
    const { host, port } = this.options.advertised;
    if (this.shared) return { nodeId: this.options.sharedNodeId ?? 0, host, port };
    if (!this.mine) throw new Error("the broker directory has not started (no node id yet)");
    return { nodeId: this.mine.nodeId, host, port };
  }

  async start(): Promise<void> {
    if (this.shared) return;
    await this.heartbeat();
    if (this.options.timers !== false) {
      this.timer = setInterval(() => {
        // A failed refresh is retried at the next beat; the registration outlives a few misses.
        this.heartbeat().catch(() => {});
      }, this.heartbeatMs);
      this.timer.unref();
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating?.catch(() => {});
    const mine = this.mine;
    if (!mine) return;
    this.mine = undefined;
    // Leave at once so our groups move now rather than after ttlMs; a stale version means the id
    // is no longer ours, and then there is nothing to remove.
    await this.options.manifest
      .delete(BROKERS_PK, nodeSk(mine.nodeId), { kind: "version", version: mine.version })
      .catch(() => {});
  }

  /**
   * Refreshes our registration (claiming a node id first if we hold none) and then our view of the
   * others, so a view is at most one heartbeat old. One at a time.
   */
  heartbeat(): Promise<void> {
    if (this.shared) return Promise.resolve();
    this.beating ??= (async () => {
      await this.beatOnce();
      await this.refreshView();
    })().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  async live(): Promise<BrokerInfo[]> {
    if (this.shared) return [this.self()];
    const now = this.options.clock.now();
    if (!this.view || now - this.view.at >= this.heartbeatMs) await this.refreshView();
    const self = this.self();
    const byId = new Map<number, BrokerInfo>([[self.nodeId, self]]);
    for (const r of this.view?.registrations ?? []) {
      if (r.expiresAt > now && r.nodeId !== self.nodeId)
        byId.set(r.nodeId, { nodeId: r.nodeId, host: r.host, port: r.port });
    }
    return [...byId.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  async coordinatorFor(groupId: string): Promise<BrokerInfo> {
    return rendezvous(`group#${groupId}`, await this.live());
  }

  async leaderFor(topic: string, partition: number): Promise<BrokerInfo> {
    const live = await this.live();
    // Consecutive partitions of a topic land on consecutive brokers (an even spread); the topic's
    // hash picks where its partition 0 starts so small topics do not all pile onto broker 0.
    const start = hash48(`topic#${topic}`) % live.length;
    return live[(start + partition) % live.length]!;
  }

  private async beatOnce(): Promise<void> {
    const now = this.options.clock.now();
    const mine = this.mine;
    if (mine) {
      const next = { ...mine, expiresAt: now + this.ttlMs, version: mine.version + 1 };
      try {
        await this.options.manifest.put(toItem(next), { kind: "version", version: mine.version });
        this.mine = next;
        return;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        // Our id was claimed by another agent while we were presumed dead (or the write landed
        // and its response was lost: re-read to tell the two apart).
        const current = await this.options.manifest.get(BROKERS_PK, nodeSk(mine.nodeId));
        const reg = current ? fromItem(current) : undefined;
        if (reg && reg.instance === this.instance) {
          this.mine = reg;
          return this.beatOnce();
        }
        this.mine = undefined;
      }
    }
    this.mine = await this.claim();
  }

  /**
   * Claims the lowest node id that is free or expired.
   *
   *   agent A                          n#3 (expired, v=5)              agent B
   *   query: n#3 expired ──────────────────┤
   *                                        ├───────────────────────────── query: n#3 expired
   *                                        ◀──── put n#3 (B) if v=5: ok (v=6)
   *   put n#3 (A) if v=5: FAILS ──────────▶
   *   re-query: n#3 live (B); claim n#4 instead
   * Without the condition both agents would believe they are broker 3: clients would reach either
   * one for broker 3 and FindCoordinator would name one id for two agents.
   */
  private async claim(): Promise<Registration> {
    for (let attempt = 0; attempt < this.maxNodes; attempt++) {
      await this.refreshView();
      const now = this.options.clock.now();
      const taken = new Map((this.view?.registrations ?? []).map((r) => [r.nodeId, r]));
      let nodeId = 0;
      while (nodeId < this.maxNodes && (taken.get(nodeId)?.expiresAt ?? 0) > now) nodeId++;
      if (nodeId >= this.maxNodes) throw new NoNodeIdError(this.maxNodes);
      const previous = taken.get(nodeId);
      const { host, port } = this.options.advertised;
      const next: Registration = {
        nodeId,
        instance: this.instance,
        host,
        port,
        expiresAt: now + this.ttlMs,
        version: (previous?.version ?? 0) + 1,
      };
      try {
        await this.options.manifest.put(
          toItem(next),
          previous ? { kind: "version", version: previous.version } : { kind: "absent" },
        );
        return next;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        // Lost the race for this id (or our own write's response was lost): look again.
        const current = await this.options.manifest.get(BROKERS_PK, nodeSk(nodeId));
        const reg = current ? fromItem(current) : undefined;
        if (reg && reg.instance === this.instance) return reg;
      }
    }
    throw new NoNodeIdError(this.maxNodes);
  }

  private async refreshView(): Promise<void> {
    const registrations: Registration[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.options.manifest.query(BROKERS_PK, {
        prefix: NODE_PREFIX,
        limit: 500,
        ...(cursor ? { cursor } : {}),
      });
      for (const item of page.items) {
        const reg = fromItem(item);
        if (reg) registrations.push(reg);
      }
      cursor = page.cursor;
    } while (cursor);
    this.view = { at: this.options.clock.now(), registrations };
  }
}

/**
 * Rendezvous (highest random weight) hashing: each broker scores hash(key, nodeId) and the highest
 * wins. When a broker dies only the keys it won move (each to its runner-up); when one joins it
 * takes only the keys it now wins. Exported for tests.
 */
export function rendezvous(key: string, brokers: readonly BrokerInfo[]): BrokerInfo {
  let best: BrokerInfo | undefined;
  let bestScore = -1;
  for (const b of brokers) {
    const score = hash48(`${key}@${b.nodeId}`);
    if (score > bestScore || (score === bestScore && best !== undefined && b.nodeId < best.nodeId)) {
      best = b;
      bestScore = score;
    }
  }
  if (!best) throw new Error("rendezvous over no brokers");
  return best;
}

/** 48 bits of SHA-256: exact in a double, uniform, and stable across processes and versions. */
function hash48(text: string): number {
  return createHash("sha256").update(text).digest().readUIntBE(0, 6);
}

function nodeSk(nodeId: number): string {
  return `${NODE_PREFIX}${String(nodeId).padStart(6, "0")}`;
}

function toItem(r: Registration): ManifestItem {
  return {
    pk: BROKERS_PK,
    sk: nodeSk(r.nodeId),
    version: r.version,
    // DynamoDB TTL tidies registrations of agents that are long gone (a day after they lapsed).
    expiresAt: Math.ceil(r.expiresAt / 1000) + 86_400,
    data: { instance: r.instance, host: r.host, port: r.port, expires_at: r.expiresAt },
  };
}

/**
 * An item whose data does not parse names no live broker (expired at 0), so its id stays claimable
 * with a condition on its version; undefined only for a key that names no node id.
 */
function fromItem(item: ManifestItem): Registration | undefined {
  const d = item.data;
  const nodeId = Number(item.sk.slice(NODE_PREFIX.length));
  if (!Number.isSafeInteger(nodeId) || nodeId < 0) return undefined;
  if (
    typeof d.instance !== "string" ||
    typeof d.host !== "string" ||
    typeof d.port !== "number" ||
    typeof d.expires_at !== "number"
  )
    return { nodeId, instance: "", host: "", port: 0, expiresAt: 0, version: item.version };
  return {
    nodeId,
    instance: d.instance,
    host: d.host,
    port: d.port,
    expiresAt: d.expires_at,
    version: item.version,
  };
}
