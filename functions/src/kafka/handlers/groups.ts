/**
 * The classic group protocol and group offsets: each request is decoded here, handed to the
 * KafkaGroupCoordinator (group-port.ts) as plain typed data, and its answer encoded. FindCoordinator
 * names the broker the BrokerDirectory picks for the group; transaction coordinators are refused
 * with TRANSACTIONAL_ID_AUTHORIZATION_FAILED so a transactional client fails at once.
 */
import type { Message } from "../codec/codec.js";
import type { Handler, RequestContext } from "../context.js";
import { KAFKA } from "../errors.js";
import type { KafkaGroupCoordinator } from "../group-port.js";

const KEY_TYPE_GROUP = 0;

function coordinator(ctx: RequestContext): KafkaGroupCoordinator {
  const groups = ctx.deps.groups;
  // Unreachable: the group APIs are only dispatched (and advertised) when a coordinator is given.
  if (!groups) throw new Error("no group coordinator");
  return groups;
}

export const handleFindCoordinator: Handler = async (message, ctx) => {
  const req = message as unknown as { key: string; keyType: number; coordinatorKeys: string[] };
  const keys = ctx.version >= 4 ? req.coordinatorKeys : [req.key];
  const coordinators: Message[] = [];
  for (const key of keys) {
    if (req.keyType !== KEY_TYPE_GROUP) {
      coordinators.push({
        key,
        nodeId: -1,
        host: "",
        port: -1,
        errorCode: KAFKA.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        errorMessage: "transactions are not supported yet",
      });
      continue;
    }
    const broker = await ctx.deps.brokers.coordinatorFor(key);
    coordinators.push({
      key,
      nodeId: broker.nodeId,
      host: broker.host,
      port: broker.port,
      errorCode: 0,
      errorMessage: null,
    });
  }
  if (ctx.version >= 4) return { throttleTimeMs: 0, coordinators };
  const only = coordinators[0]!;
  return { throttleTimeMs: 0, ...only };
};

interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: { name: string; metadata: Uint8Array }[];
}

export const handleJoinGroup: Handler = async (message, ctx) => {
  const req = message as unknown as JoinGroupRequest;
  const out = await coordinator(ctx).joinGroup({
    groupId: req.groupId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    protocolType: req.protocolType,
    protocols: req.protocols,
    sessionTimeoutMs: req.sessionTimeoutMs,
    // v0 has no rebalance timeout: Kafka uses the session timeout for it.
    rebalanceTimeoutMs: req.rebalanceTimeoutMs === -1 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
    clientId: ctx.header.clientId ?? "",
    clientHost: ctx.clientHost,
    apiVersion: ctx.version,
  });
  return { throttleTimeMs: 0, skipAssignment: false, ...out };
};

export const handleSyncGroup: Handler = async (message, ctx) => {
  const req = message as unknown as {
    groupId: string;
    generationId: number;
    memberId: string;
    groupInstanceId: string | null;
    protocolType: string | null;
    protocolName: string | null;
    assignments: { memberId: string; assignment: Uint8Array }[];
  };
  const out = await coordinator(ctx).syncGroup({
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    protocolType: req.protocolType,
    protocolName: req.protocolName,
    assignments: req.assignments,
  });
  return { throttleTimeMs: 0, ...out };
};

export const handleHeartbeat: Handler = async (message, ctx) => {
  const req = message as unknown as {
    groupId: string;
    generationId: number;
    memberId: string;
    groupInstanceId: string | null;
  };
  const out = await coordinator(ctx).heartbeat(req);
  return { throttleTimeMs: 0, errorCode: out.errorCode };
};

export const handleLeaveGroup: Handler = async (message, ctx) => {
  const req = message as unknown as {
    groupId: string;
    memberId: string;
    members: { memberId: string; groupInstanceId: string | null }[];
  };
  const members =
    ctx.version >= 3
      ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId }))
      : [{ memberId: req.memberId, groupInstanceId: null }];
  const out = await coordinator(ctx).leaveGroup({ groupId: req.groupId, members });
  return { throttleTimeMs: 0, errorCode: out.errorCode, members: out.members };
};

export const handleOffsetCommit: Handler = async (message, ctx) => {
  const req = message as unknown as {
    groupId: string;
    generationIdOrMemberEpoch: number;
    memberId: string;
    groupInstanceId: string | null;
    topics: {
      name: string;
      partitions: {
        partitionIndex: number;
        committedOffset: number;
        committedLeaderEpoch: number;
        committedMetadata: string | null;
      }[];
    }[];
  };
  const out = await coordinator(ctx).commitOffsets({
    groupId: req.groupId,
    generationId: req.generationIdOrMemberEpoch,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partition: p.partitionIndex,
        offset: p.committedOffset,
        leaderEpoch: p.committedLeaderEpoch,
        metadata: p.committedMetadata,
      })),
    })),
  });
  return {
    throttleTimeMs: 0,
    topics: out.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })),
    })),
  };
};

export const handleOffsetFetch: Handler = async (message, ctx) => {
  const req = message as unknown as {
    groupId: string;
    topics: { name: string; partitionIndexes: number[] }[] | null;
  };
  const out = await coordinator(ctx).fetchOffsets({
    groupId: req.groupId,
    topics:
      req.topics === null ? null : req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes })),
  });
  return {
    throttleTimeMs: 0,
    errorCode: out.errorCode,
    topics: out.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partition,
        committedOffset: p.offset,
        committedLeaderEpoch: p.leaderEpoch,
        metadata: p.metadata,
        // v0-1 have no top-level error code: the group's error is every partition's.
        errorCode: p.errorCode || (ctx.version < 2 ? out.errorCode : 0),
      })),
    })),
  };
};

export const handleDescribeGroups: Handler = async (message, ctx) => {
  const req = message as unknown as { groups: string[] };
  const groups = await coordinator(ctx).describeGroups(req.groups);
  return {
    throttleTimeMs: 0,
    groups: groups.map((g) => ({
      errorCode: g.errorCode,
      groupId: g.groupId,
      groupState: g.state,
      protocolType: g.protocolType,
      protocolData: g.protocolName,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: m.metadata,
        memberAssignment: m.assignment,
      })),
    })),
  };
};

export const handleListGroups: Handler = async (message, ctx) => {
  const req = message as unknown as { statesFilter: string[] };
  const groups = await coordinator(ctx).listGroups(req.statesFilter);
  return {
    throttleTimeMs: 0,
    errorCode: KAFKA.NONE,
    groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state })),
  };
};

export const handleDeleteGroups: Handler = async (message, ctx) => {
  const req = message as unknown as { groupsNames: string[] };
  const results = await coordinator(ctx).deleteGroups(req.groupsNames);
  return { throttleTimeMs: 0, results };
};

export const handleOffsetDelete: Handler = async (message, ctx) => {
  const req = message as unknown as {
    groupId: string;
    topics: { name: string; partitions: { partitionIndex: number }[] }[];
  };
  const out = await coordinator(ctx).deleteOffsets(
    req.groupId,
    req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
  );
  return {
    errorCode: out.errorCode,
    throttleTimeMs: 0,
    topics: out.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })),
    })),
  };
};
