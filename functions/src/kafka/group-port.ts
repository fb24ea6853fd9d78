/**
 * The seam between the Kafka listener (codec + connection handling, `functions/src/kafka/`) and the
 * Kafka classic consumer-group protocol (JoinGroup / SyncGroup / Heartbeat / LeaveGroup, offsets,
 * group admin). The listener decodes a request, calls one of these methods and encodes the answer;
 * everything here is plain typed data with Kafka's numeric error codes, so each half is tested alone.
 *
 * A method's Promise may stay pending for a long time (JoinGroup waits for the rebalance barrier);
 * the listener must keep serving the connection's other requests meanwhile.
 */

/** Kafka's numeric error codes (protocol guide § Error codes); 0 = NONE. */
export type KafkaErrorCode = number;

export interface JoinGroupInput {
  groupId: string;
  /** "" on a first join. */
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: { name: string; metadata: Uint8Array }[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  clientId: string;
  clientHost: string;
  /** JoinGroup version: v4+ answers MEMBER_ID_REQUIRED (79) to a first join with an empty member id. */
  apiVersion: number;
}

export interface JoinGroupOutput {
  errorCode: KafkaErrorCode;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** Filled for the leader only. */
  members: { memberId: string; groupInstanceId: string | null; metadata: Uint8Array }[];
}

export interface SyncGroupInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  /** Only the leader sends assignments. */
  assignments: { memberId: string; assignment: Uint8Array }[];
}

export interface SyncGroupOutput {
  errorCode: KafkaErrorCode;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Uint8Array;
}

export interface HeartbeatInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveGroupInput {
  groupId: string;
  /** v0-2 send one member id; v3+ a list of members. */
  members: { memberId: string; groupInstanceId: string | null }[];
}

export interface LeaveGroupOutput {
  errorCode: KafkaErrorCode;
  members: { memberId: string; groupInstanceId: string | null; errorCode: KafkaErrorCode }[];
}

export interface OffsetCommitInput {
  groupId: string;
  /** -1 (and memberId "") for a simple, group-less commit. */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: {
    name: string;
    partitions: { partition: number; offset: number; leaderEpoch: number; metadata: string | null }[];
  }[];
}

export interface OffsetCommitOutput {
  topics: { name: string; partitions: { partition: number; errorCode: KafkaErrorCode }[] }[];
}

export interface OffsetFetchInput {
  groupId: string;
  /** null = every partition the group has an offset for. */
  topics: { name: string; partitions: number[] }[] | null;
}

export interface OffsetFetchOutput {
  errorCode: KafkaErrorCode;
  topics: {
    name: string;
    partitions: {
      partition: number;
      /** -1 when the group has no offset for the partition. */
      offset: number;
      leaderEpoch: number;
      metadata: string | null;
      errorCode: KafkaErrorCode;
    }[];
  }[];
}

export interface DescribedGroup {
  errorCode: KafkaErrorCode;
  groupId: string;
  /** Kafka's names: "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead". */
  state: string;
  protocolType: string;
  protocolName: string;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    metadata: Uint8Array;
    assignment: Uint8Array;
  }[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  state: string;
}

export interface KafkaGroupCoordinator {
  joinGroup(input: JoinGroupInput): Promise<JoinGroupOutput>;
  syncGroup(input: SyncGroupInput): Promise<SyncGroupOutput>;
  heartbeat(input: HeartbeatInput): Promise<{ errorCode: KafkaErrorCode }>;
  leaveGroup(input: LeaveGroupInput): Promise<LeaveGroupOutput>;
  commitOffsets(input: OffsetCommitInput): Promise<OffsetCommitOutput>;
  fetchOffsets(input: OffsetFetchInput): Promise<OffsetFetchOutput>;
  describeGroups(groupIds: string[]): Promise<DescribedGroup[]>;
  listGroups(statesFilter: string[]): Promise<ListedGroup[]>;
  deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: KafkaErrorCode }[]>;
  deleteOffsets(
    groupId: string,
    topics: { name: string; partitions: number[] }[],
  ): Promise<{
    errorCode: KafkaErrorCode;
    topics: { name: string; partitions: { partition: number; errorCode: KafkaErrorCode }[] }[];
  }>;
  /** Ends timers and waiters (agent shutdown). */
  close(): Promise<void>;
}

/** One live agent as the Kafka protocol sees it: a broker. */
export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
}

/**
 * Live agents registered in the manifest with a heartbeat. Metadata names them as brokers and
 * spreads partition leadership across them; FindCoordinator maps a group to one of them.
 */
export interface BrokerDirectory {
  self(): BrokerInfo;
  /** Live brokers, sorted by nodeId; always includes self. */
  live(): Promise<BrokerInfo[]>;
  /** The broker that coordinates a group (a stable hash of the group id over the live brokers). */
  coordinatorFor(groupId: string): Promise<BrokerInfo>;
  /** The broker named leader of a partition (spread across live brokers). */
  leaderFor(topic: string, partition: number): Promise<BrokerInfo>;
  start(): Promise<void>;
  close(): Promise<void>;
}
