/**
 * Metadata and DescribeCluster: the live agents are the brokers (BrokerDirectory), each
 * partition names one of them leader (its only replica, always in sync: durability is S3's, not
 * replication's). Topics are never created by a Metadata request: Floe topics are made on
 * purpose (CreateTopics, the HTTP API or the CLI), so a typo never makes a topic.
 */
import type { TopicMeta } from "../../engine/model.js";
import type { Message } from "../codec/codec.js";
import type { Handler, RequestContext } from "../context.js";
import { KAFKA, kafkaError } from "../errors.js";

interface MetadataRequest {
  topics: { name: string | null }[] | null;
}

async function describeTopic(meta: TopicMeta, ctx: RequestContext): Promise<Message> {
  const partitions: Message[] = [];
  for (let p = 0; p < meta.partitions; p++) {
    const leader = await ctx.deps.brokers.leaderFor(meta.name, p);
    partitions.push({
      errorCode: KAFKA.NONE,
      partitionIndex: p,
      leaderId: leader.nodeId,
      leaderEpoch: 0,
      replicaNodes: [leader.nodeId],
      isrNodes: [leader.nodeId],
      offlineReplicas: [],
    });
  }
  return { errorCode: KAFKA.NONE, name: meta.name, topicId: meta.topicId, isInternal: false, partitions };
}

export const handleMetadata: Handler = async (message, ctx) => {
  const req = message as unknown as MetadataRequest;
  const { log, brokers } = ctx.deps;
  const live = await brokers.live();
  // v0: an empty list means all topics; v1+: null means all, empty means none.
  const all = req.topics === null || (ctx.version === 0 && req.topics.length === 0);
  const topics: Message[] = [];
  if (all) {
    for (const meta of await log.topics.list()) topics.push(await describeTopic(meta, ctx));
  } else {
    for (const { name } of req.topics ?? []) {
      try {
        if (name === null) throw new Error("topic ids are not supported");
        const meta = await log.topics.require(name);
        topics.push(await describeTopic(meta, ctx));
      } catch (error) {
        const e = name === null ? { code: KAFKA.INVALID_REQUEST } : kafkaError(error, "topic-admin");
        if (e.code === KAFKA.UNKNOWN_SERVER_ERROR) ctx.deps.logError(error);
        topics.push({ errorCode: e.code, name: name ?? "", isInternal: false, partitions: [] });
      }
    }
  }
  return {
    throttleTimeMs: 0,
    brokers: live.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: null })),
    clusterId: ctx.deps.clusterId,
    controllerId: brokers.self().nodeId,
    topics,
  };
};

export const handleDescribeCluster: Handler = async (_message, ctx) => {
  const live = await ctx.deps.brokers.live();
  return {
    throttleTimeMs: 0,
    errorCode: KAFKA.NONE,
    errorMessage: null,
    endpointType: 1,
    clusterId: ctx.deps.clusterId,
    controllerId: ctx.deps.brokers.self().nodeId,
    brokers: live.map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: null })),
  };
};
