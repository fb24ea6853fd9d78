/**
 * The table of every message this listener implements, by API key. ApiVersions advertises
 * exactly this table, so what a client is told and what the codec can read never drift apart.
 */
import type { MessageSchema } from "../schema.js";
import {
  alterConfigs,
  apiVersions,
  createPartitions,
  createTopics,
  deleteRecords,
  deleteTopics,
  describeCluster,
  describeConfigs,
  incrementalAlterConfigs,
  initProducerId,
} from "./admin.js";
import { fetch } from "./fetch.js";
import {
  deleteGroups,
  describeGroups,
  findCoordinator,
  heartbeat,
  joinGroup,
  leaveGroup,
  listGroups,
  offsetCommit,
  offsetDelete,
  offsetFetch,
  syncGroup,
} from "./groups.js";
import { listOffsets } from "./list-offsets.js";
import { metadata } from "./metadata.js";
import { produce } from "./produce.js";
import { saslAuthenticate, saslHandshake } from "./sasl.js";

export const SCHEMAS: ReadonlyMap<number, MessageSchema> = new Map(
  [
    produce,
    fetch,
    listOffsets,
    metadata,
    offsetCommit,
    offsetFetch,
    findCoordinator,
    joinGroup,
    heartbeat,
    leaveGroup,
    syncGroup,
    describeGroups,
    listGroups,
    apiVersions,
    createTopics,
    deleteTopics,
    deleteRecords,
    initProducerId,
    describeConfigs,
    createPartitions,
    deleteGroups,
    offsetDelete,
    describeCluster,
    alterConfigs,
    incrementalAlterConfigs,
    saslHandshake,
    saslAuthenticate,
  ].map((s) => [s.apiKey, s]),
);

export const API_KEYS = {
  produce: 0,
  fetch: 1,
  listOffsets: 2,
  metadata: 3,
  offsetCommit: 8,
  offsetFetch: 9,
  findCoordinator: 10,
  joinGroup: 11,
  heartbeat: 12,
  leaveGroup: 13,
  syncGroup: 14,
  describeGroups: 15,
  listGroups: 16,
  saslHandshake: 17,
  apiVersions: 18,
  createTopics: 19,
  deleteTopics: 20,
  deleteRecords: 21,
  initProducerId: 22,
  describeConfigs: 32,
  alterConfigs: 33,
  saslAuthenticate: 36,
  createPartitions: 37,
  deleteGroups: 42,
  incrementalAlterConfigs: 44,
  offsetDelete: 47,
  describeCluster: 60,
} as const;
