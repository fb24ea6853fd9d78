/**
 * Item keys of the single manifest table. One place, so the layout can be read at a glance:
 *
 *   pk                         sk                          item
 *   topics                     t#<name>                    topic metadata (one query lists all topics)
 *   s#<topicId>                head                        topic head: the chain's tip, the commit point
 *   s#<topicId>                c#<seq, 20 digits>          commit record: one flush's share of the topic
 *   p#<topicId>#<partition>    e#<base offset, 20 digits>  index entry (written by maintenance only)
 *   g#<group>                  state                       consumer group state (see groups/)
 *   g#<group>                  o#<topic>#<partition>       committed offset
 *
 * A topic's partitions hang off its `topicId` (random per incarnation), never its name, so a topic
 * deleted and created again under the same name can never see the old incarnation's entries.
 * Offsets are zero-padded so that the string order of sort keys is the numeric order of offsets.
 */
export const TOPICS_PK = "topics";

export function topicSk(name: string): string {
  return `t#${name}`;
}

export function partitionPk(topicId: string, partition: number): string {
  return `p#${topicId}#${partition}`;
}

export const HEAD_SK = "head";

/** The topic's commit chain: its head and its commit records (docs/design/manifest.md). */
export function chainPk(topicId: string): string {
  return `s#${topicId}`;
}

export const RECORD_PREFIX = "c#";

export function recordSk(seq: number): string {
  return RECORD_PREFIX + String(seq).padStart(OFFSET_DIGITS, "0");
}
export const ENTRY_PREFIX = "e#";
const OFFSET_DIGITS = 20;

export function entrySk(baseOffset: number): string {
  return ENTRY_PREFIX + String(baseOffset).padStart(OFFSET_DIGITS, "0");
}

export function offsetOfEntrySk(sk: string): number {
  return Number(sk.slice(ENTRY_PREFIX.length));
}
