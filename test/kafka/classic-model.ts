/**
 * A model run of the classic group protocol: three consumers (eager, range assignor, as kafkajs and
 * librdkafka's defaults) join, heartbeat, commit, leave, crash (a paused process: a zombie that
 * wakes up later and commits with its old generation before restarting), while the coordinator
 * agent dies and another takes over. Seeded, on a fake clock; the history is checked for:
 *
 * 1. no partition given to two members of one generation;
 * 2. committed offsets never move backwards;
 * 3. no commit at generation G lands once any member has been told of a later generation holding
 *    that partition (zombie commits are fenced, also across a coordinator failover);
 * 4. at the end, with faults stopped, the group converges: everyone stable in one generation, every
 *    partition assigned.
 */
import { OffsetStore } from "../../functions/src/groups/offset-store.js";
import type { ClassicGroupCoordinator } from "../../functions/src/kafka/classic-groups.js";
import { KafkaGroupError as E } from "../../functions/src/kafka/group-errors.js";
import type { ManifestStore } from "../../functions/src/ports/manifest-store.js";
import { commitCodes, type Setup, settle, setup, TestMember } from "./classic-harness.js";

const TOPIC = "orders";
const PARTITIONS = 6;
const STEP_MS = 500;

export interface ModelOptions {
  seed: number;
  steps: number;
  manifest?: ManifestStore;
  /** Chance per step that the coordinator agent dies and the next one takes over. */
  failoverRate?: number;
  /**
   * Canary: commits bypass every check and write the offset item directly (what the coordinator
   * would be without generation checks and fences). The checks must then report violations.
   */
  unfencedCommits?: boolean;
}

export interface ModelReport {
  violations: string[];
  generations: number;
  commitsAccepted: number;
  commitsFenced: number;
  failovers: number;
}

type Phase = "out" | "syncing" | "stable" | "crashed";

interface ModelMember {
  name: string;
  client: TestMember;
  phase: Phase;
  busy: boolean;
  nextAt: number;
  /** Next offset to commit per partition (what it consumed). */
  consumed: Map<number, number>;
  /** Step at which a crashed member wakes up. */
  wakeAt: number;
}

interface Delivered {
  generation: number;
  member: string;
  partitions: number[];
  step: number;
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runModel(options: ModelOptions): Promise<ModelReport> {
  const random = prng(options.seed);
  const s: Setup = setup(options.manifest);
  const offsets = new OffsetStore(s.manifest, s.clock, 7 * 24 * 3600_000);
  const failoverRate = options.failoverRate ?? 0.01;
  const make = (n: number): ClassicGroupCoordinator => {
    const c = s.coordinator(n, { random });
    if (options.unfencedCommits) {
      c.commitOffsets = async (input) => {
        for (const t of input.topics)
          for (const p of t.partitions)
            await offsets.reset(
              input.groupId,
              { topic: t.name, partition: p.partition },
              "none",
              0,
              p.offset,
              "orders-id",
            );
        return {
          topics: input.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: E.NONE })),
          })),
        };
      };
    }
    return c;
  };
  const coordinators: ClassicGroupCoordinator[] = [0, 1, 2].map(make);
  const current = () => coordinators[s.cluster.coordinator]!;
  const counts = new Map([[TOPIC, PARTITIONS]]);
  const members: ModelMember[] = ["a", "b", "c"].map((name) => ({
    name,
    client: new TestMember("grp", [TOPIC], counts, name),
    phase: "out",
    busy: false,
    nextAt: 0,
    consumed: new Map(),
    wakeAt: 0,
  }));
  const report: ModelReport = {
    violations: [],
    generations: 0,
    commitsAccepted: 0,
    commitsFenced: 0,
    failovers: 0,
  };
  const delivered: Delivered[] = [];
  const committed = new Map<number, number>();
  let step = 0;
  let faults = true;

  const violation = (text: string) => {
    if (report.violations.length < 20) report.violations.push(`step ${step}: ${text}`);
  };

  const checkOffsets = async () => {
    for (const r of await offsets.list("grp")) {
      if (r.offset === null) continue;
      const before = committed.get(r.partition) ?? -1;
      if (r.offset < before) violation(`offset of ${r.partition} moved back from ${before} to ${r.offset}`);
      committed.set(r.partition, r.offset);
    }
  };

  const commit = async (m: ModelMember, generation: number, partitions: number[]) => {
    if (partitions.length === 0) return;
    const sentAt = step;
    const list = partitions.map((p) => {
      const next = (m.consumed.get(p) ?? 0) + 1 + Math.floor(random() * 10);
      m.consumed.set(p, next);
      return { topic: TOPIC, partition: p, offset: next };
    });
    const client = m.client;
    const saved = client.generation;
    client.generation = generation;
    const out = await client.commit(current(), list);
    client.generation = saved;
    const codes = commitCodes(out);
    list.forEach((c, i) => {
      if (codes[i] === E.NONE) {
        report.commitsAccepted++;
        const later = delivered.find(
          (d) => d.generation > generation && d.step < sentAt && d.partitions.includes(c.partition),
        );
        if (later)
          violation(
            `${m.name}'s commit of ${c.partition} at generation ${generation} landed after ${later.member} was given it in generation ${later.generation}`,
          );
      } else report.commitsFenced++;
    });
    await checkOffsets();
  };

  const rejoin = (m: ModelMember, resetId: boolean) => {
    if (resetId) m.client.memberId = "";
    m.client.assignment = [];
    m.phase = "out";
  };

  const act = async (m: ModelMember): Promise<void> => {
    const c = current();
    switch (m.phase) {
      case "crashed": {
        if (step < m.wakeAt) return;
        // The zombie wakes up and commits what it had, with its old generation, then restarts.
        await commit(
          m,
          m.client.generation,
          m.client.assignment.map((p) => p.partition),
        );
        m.consumed.clear();
        rejoin(m, true);
        return;
      }
      case "out": {
        const out = await m.client.join(c);
        if (out.errorCode === E.NONE) m.phase = "syncing";
        return;
      }
      case "syncing": {
        const out = await m.client.sync(c);
        if (out.errorCode === E.NONE) {
          const partitions = m.client.assignment.map((p) => p.partition).sort((x, y) => x - y);
          delivered.push({ generation: m.client.generation, member: m.client.memberId, partitions, step });
          report.generations = Math.max(report.generations, m.client.generation);
          // start from the committed offsets
          const fetched = await current().fetchOffsets({
            groupId: "grp",
            topics: [{ name: TOPIC, partitions }],
          });
          m.consumed.clear();
          for (const p of fetched.topics[0]?.partitions ?? [])
            m.consumed.set(p.partition, Math.max(0, p.offset));
          m.phase = "stable";
        } else rejoin(m, out.errorCode === E.UNKNOWN_MEMBER_ID);
        return;
      }
      case "stable": {
        const r = random();
        const held = m.client.assignment.map((p) => p.partition);
        if (faults && r < 0.03) {
          m.phase = "crashed";
          m.wakeAt = step + 10 + Math.floor(random() * 60);
          return;
        }
        if (r < 0.06) {
          await commit(m, m.client.generation, held);
          await c.leaveGroup({
            groupId: "grp",
            members: [{ memberId: m.client.memberId, groupInstanceId: null }],
          });
          m.consumed.clear();
          rejoin(m, true);
          return;
        }
        if (r < 0.4) {
          await commit(m, m.client.generation, held);
          return;
        }
        const hb = await m.client.heartbeat(c);
        if (hb.errorCode === E.REBALANCE_IN_PROGRESS) {
          // eager: commit and give up everything before rejoining
          await commit(m, m.client.generation, held);
          rejoin(m, false);
        } else if (hb.errorCode === E.UNKNOWN_MEMBER_ID || hb.errorCode === E.ILLEGAL_GENERATION) {
          rejoin(m, hb.errorCode === E.UNKNOWN_MEMBER_ID);
        }
        return;
      }
    }
  };

  const stepOnce = async () => {
    step++;
    s.clock.advance(STEP_MS);
    if (faults && random() < failoverRate) {
      const old = current();
      s.cluster.coordinator = (s.cluster.coordinator + 1) % 3;
      await old.close();
      coordinators[(s.cluster.coordinator + 2) % 3] = make((s.cluster.coordinator + 2) % 3);
      report.failovers++;
    }
    for (const m of members) {
      if (m.busy || step < m.nextAt) continue;
      m.busy = true;
      act(m)
        .catch((error) => violation(`${m.name} threw ${String(error)}`))
        .finally(() => {
          m.busy = false;
          m.nextAt = step + 1 + Math.floor(random() * 4);
        });
    }
    await current().tick();
    await settle(30);
  };

  for (let i = 0; i < options.steps; i++) await stepOnce();

  // Faults stop; the group must converge.
  faults = false;
  for (const m of members) if (m.phase === "crashed") m.wakeAt = step;
  for (let i = 0; i < 400; i++) {
    await stepOnce();
    const live = members.filter((m) => m.phase === "stable");
    const gens = new Set(live.map((m) => m.client.generation));
    const all = live.flatMap((m) => m.client.assignment.map((p) => p.partition));
    if (
      live.length === members.length &&
      gens.size === 1 &&
      new Set(all).size === PARTITIONS &&
      !members.some((m) => m.busy)
    )
      break;
  }
  const live = members.filter((m) => m.phase === "stable");
  if (live.length !== members.length) violation(`did not converge: ${members.map((m) => m.phase).join(",")}`);

  // 1. per generation, disjoint assignments
  const byGeneration = new Map<number, Map<number, string>>();
  for (const d of delivered) {
    const owners = byGeneration.get(d.generation) ?? new Map<number, string>();
    for (const p of d.partitions) {
      const other = owners.get(p);
      if (other !== undefined && other !== d.member)
        violation(`partition ${p} given to ${other} and ${d.member} in generation ${d.generation}`);
      owners.set(p, d.member);
    }
    byGeneration.set(d.generation, owners);
  }
  for (const c of coordinators) await c.close();
  return report;
}
