/**
 * Item keys of consumer groups in the manifest table, following the layout in engine/keys.ts:
 *
 *   pk              sk                      item
 *   groups          g#<group>               registry entry (one query lists every group)
 *   g#<group>       state                   members, leases, epochs, target and current assignment
 *   g#<group>       o#<topic>#<partition>   committed offset and the fence naming its holder
 *
 * Group and topic names are `[a-zA-Z0-9._-]` only, so `#` can never occur inside a name and a
 * prefix like `o#<topic>#` selects exactly one topic's offsets.
 */
export const GROUPS_PK = "groups";
export const GROUP_STATE_SK = "state";
export const OFFSET_PREFIX = "o#";

export function groupRegistrySk(group: string): string {
  return `g#${group}`;
}

export function groupOfRegistrySk(sk: string): string {
  return sk.slice("g#".length);
}

export function groupPk(group: string): string {
  return `g#${group}`;
}

export function offsetSk(topic: string, partition: number): string {
  return `${OFFSET_PREFIX}${topic}#${partition}`;
}

/** Sort-key prefix of one topic's committed offsets (or of all offsets when topic is undefined). */
export function offsetPrefix(topic?: string): string {
  return topic === undefined ? OFFSET_PREFIX : `${OFFSET_PREFIX}${topic}#`;
}
