/**
 * The dispatch table: API key → handler. Group APIs are present only with a group coordinator;
 * ApiVersions advertises exactly the keys of this table with the schema's version ranges.
 */
import { API_KEYS } from "../codec/schemas/index.js";
import type { Handler } from "../context.js";
import { apiVersionsAnswer } from "./api-versions.js";
import { handleFetch } from "./fetch.js";
import {
  handleDeleteGroups,
  handleDescribeGroups,
  handleFindCoordinator,
  handleHeartbeat,
  handleJoinGroup,
  handleLeaveGroup,
  handleListGroups,
  handleOffsetCommit,
  handleOffsetDelete,
  handleOffsetFetch,
  handleSyncGroup,
} from "./groups.js";
import { handleListOffsets } from "./list-offsets.js";
import { handleDescribeCluster, handleMetadata } from "./metadata.js";
import { handleProduce } from "./produce.js";
import { handleInitProducerId } from "./producers.js";
import { handleSaslAuthenticate, handleSaslHandshake } from "./sasl.js";
import {
  handleAlterConfigs,
  handleCreatePartitions,
  handleCreateTopics,
  handleDeleteRecords,
  handleDeleteTopics,
  handleDescribeConfigs,
  handleIncrementalAlterConfigs,
} from "./topics.js";

export function handlerTable(options: { groups: boolean }): Map<number, Handler> {
  const table = new Map<number, Handler>([
    [API_KEYS.produce, handleProduce],
    [API_KEYS.fetch, handleFetch],
    [API_KEYS.listOffsets, handleListOffsets],
    [API_KEYS.metadata, handleMetadata],
    [API_KEYS.createTopics, handleCreateTopics],
    [API_KEYS.deleteTopics, handleDeleteTopics],
    [API_KEYS.deleteRecords, handleDeleteRecords],
    [API_KEYS.initProducerId, handleInitProducerId],
    [API_KEYS.describeConfigs, handleDescribeConfigs],
    [API_KEYS.createPartitions, handleCreatePartitions],
    [API_KEYS.describeCluster, handleDescribeCluster],
    [API_KEYS.alterConfigs, handleAlterConfigs],
    [API_KEYS.incrementalAlterConfigs, handleIncrementalAlterConfigs],
    [API_KEYS.saslHandshake, handleSaslHandshake],
    [API_KEYS.saslAuthenticate, handleSaslAuthenticate],
  ]);
  if (options.groups) {
    const groups: [number, Handler][] = [
      [API_KEYS.findCoordinator, handleFindCoordinator],
      [API_KEYS.joinGroup, handleJoinGroup],
      [API_KEYS.syncGroup, handleSyncGroup],
      [API_KEYS.heartbeat, handleHeartbeat],
      [API_KEYS.leaveGroup, handleLeaveGroup],
      [API_KEYS.offsetCommit, handleOffsetCommit],
      [API_KEYS.offsetFetch, handleOffsetFetch],
      [API_KEYS.describeGroups, handleDescribeGroups],
      [API_KEYS.listGroups, handleListGroups],
      [API_KEYS.deleteGroups, handleDeleteGroups],
      [API_KEYS.offsetDelete, handleOffsetDelete],
    ];
    for (const [key, handler] of groups) table.set(key, handler);
  }
  table.set(API_KEYS.apiVersions, async () => apiVersionsAnswer(table, 0));
  return table;
}
