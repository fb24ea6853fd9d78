/**
 * ManifestStore on one DynamoDB table (or dynalite) with key schema pk (S, HASH) + sk (S, RANGE).
 *
 * Item layout:
 *   pk  S  partition key            sk  S  sort key
 *   v   N  version (compare-and-set target)
 *   d   M  the item data as a native map (readable in the console, queryable by tools)
 *   ttl N  epoch seconds, only when expiresAt is set (the table's TTL attribute on AWS)
 *
 * Reads are strongly consistent: the commit protocol re-reads after a failed condition and must
 * see the write that beat it.
 */
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import {
  ConditionFailedError,
  type ItemData,
  ItemTooLargeError,
  type ManifestItem,
  type ManifestStore,
  type QueryOptions,
  type QueryPage,
  type WriteCondition,
} from "../../ports/manifest-store.js";
import {
  checkItemKey,
  checkItemSize,
  checkQueryOptions,
  checkSafeInteger,
  copyItemData,
  decodeManifestCursor,
  encodeManifestCursor,
  ITEM_BYTES_MAX,
} from "../store-rules.js";
import { awsErrorMessage, awsErrorName, translateAwsError } from "./aws-errors.js";

type DynamoItem = Record<string, AttributeValue>;

/** The ConditionExpression (and its placeholders) for one WriteCondition. */
interface ConditionParts {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: DynamoItem;
}

export class DynamoManifestStore implements ManifestStore {
  constructor(
    private readonly client: DynamoDBClient,
    readonly table: string,
  ) {}

  async get(pk: string, sk: string): Promise<ManifestItem | undefined> {
    checkItemKey(pk, sk);
    try {
      const response = await this.client.send(
        new GetItemCommand({ TableName: this.table, Key: itemKey(pk, sk), ConsistentRead: true }),
      );
      return response.Item === undefined ? undefined : fromDynamo(response.Item);
    } catch (error) {
      throw translateAwsError(error, `DynamoDB GetItem ${this.table} ${pk}/${sk}`);
    }
  }

  async put(item: ManifestItem, condition: WriteCondition): Promise<void> {
    const dynamoItem = toDynamo(item);
    try {
      await this.client.send(
        new PutItemCommand({ TableName: this.table, Item: dynamoItem, ...conditionParts(condition) }),
      );
    } catch (error) {
      if (awsErrorName(error) === "ConditionalCheckFailedException") {
        throw new ConditionFailedError(item.pk, item.sk);
      }
      // checkItemSize refused everything it counts as too large; should DynamoDB count higher,
      // the caller still gets the same error as from the in-memory store.
      if (isItemTooLarge(error)) throw new ItemTooLargeError(item.pk, item.sk, undefined, ITEM_BYTES_MAX);
      throw translateAwsError(error, `DynamoDB PutItem ${this.table} ${item.pk}/${item.sk}`);
    }
  }

  async delete(pk: string, sk: string, condition: WriteCondition = { kind: "none" }): Promise<void> {
    checkItemKey(pk, sk);
    try {
      await this.client.send(
        new DeleteItemCommand({ TableName: this.table, Key: itemKey(pk, sk), ...conditionParts(condition) }),
      );
    } catch (error) {
      if (awsErrorName(error) === "ConditionalCheckFailedException") throw new ConditionFailedError(pk, sk);
      throw translateAwsError(error, `DynamoDB DeleteItem ${this.table} ${pk}/${sk}`);
    }
  }

  async query(pk: string, options: QueryOptions = {}): Promise<QueryPage> {
    if (typeof pk !== "string" || pk.length === 0) throw new TypeError("pk must be a non-empty string");
    checkQueryOptions(options);
    const input = queryInput(this.table, pk, options);
    try {
      const response = await this.client.send(new QueryCommand(input));
      const items = (response.Items ?? []).map(fromDynamo);
      const last = response.LastEvaluatedKey;
      if (last === undefined) return { items };
      const lastSk = last.sk?.S;
      if (lastSk === undefined) throw new Error(`DynamoDB Query ${this.table}: LastEvaluatedKey without sk`);
      return { items, cursor: encodeManifestCursor({ pk, sk: lastSk }) };
    } catch (error) {
      throw translateAwsError(error, `DynamoDB Query ${this.table} ${pk}`);
    }
  }
}

function isItemTooLarge(error: unknown): boolean {
  return (
    awsErrorName(error) === "ValidationException" &&
    (awsErrorMessage(error) ?? "").includes("Item size has exceeded the maximum allowed size")
  );
}

function itemKey(pk: string, sk: string): DynamoItem {
  return { pk: { S: pk }, sk: { S: sk } };
}

function toDynamo(item: ManifestItem): DynamoItem {
  checkItemKey(item.pk, item.sk);
  checkSafeInteger(item.version, "version");
  if (item.expiresAt !== undefined) checkSafeInteger(item.expiresAt, "expiresAt");
  // Validating first (the same rules as the in-memory store) means marshall only ever sees
  // strings, safe numbers, booleans, null, arrays and plain objects.
  const data = copyItemData(item.data);
  checkItemSize({ ...item, data });
  const out: DynamoItem = {
    ...itemKey(item.pk, item.sk),
    v: { N: String(item.version) },
    d: { M: marshall(data, { removeUndefinedValues: true }) },
  };
  if (item.expiresAt !== undefined) out.ttl = { N: String(item.expiresAt) };
  return out;
}

function fromDynamo(raw: DynamoItem): ManifestItem {
  const pk = raw.pk?.S;
  const sk = raw.sk?.S;
  const version = raw.v?.N;
  const data = raw.d?.M;
  if (pk === undefined || sk === undefined || version === undefined || data === undefined) {
    throw new Error(`malformed manifest item: ${JSON.stringify(raw).slice(0, 200)}`);
  }
  // unmarshall turns an out-of-range number into a BigInt; none can be stored (see toDynamo).
  const item: ManifestItem = { pk, sk, version: Number(version), data: unmarshall(data) as ItemData };
  const ttl = raw.ttl?.N;
  if (ttl !== undefined) item.expiresAt = Number(ttl);
  return item;
}

function conditionParts(condition: WriteCondition): ConditionParts {
  switch (condition.kind) {
    case "none":
      return {};
    case "absent":
      // The key attribute exists on every stored item, so this reads "no item with this key".
      return { ConditionExpression: "attribute_not_exists(pk)" };
    case "version":
      checkSafeInteger(condition.version, "condition version");
      // False for a missing item too: "exists with exactly this version".
      return {
        ConditionExpression: "#v = :v",
        ExpressionAttributeNames: { "#v": "v" },
        ExpressionAttributeValues: { ":v": { N: String(condition.version) } },
      };
  }
}

function queryInput(table: string, pk: string, options: QueryOptions): QueryCommandInput {
  const values: DynamoItem = { ":pk": { S: pk } };
  let skCondition = "";
  const { gte, lte, prefix } = options;
  if (prefix !== undefined) {
    skCondition = " AND begins_with(#sk, :prefix)";
    values[":prefix"] = { S: prefix };
  } else if (gte !== undefined && lte !== undefined) {
    skCondition = " AND #sk BETWEEN :gte AND :lte";
    values[":gte"] = { S: gte };
    values[":lte"] = { S: lte };
  } else if (gte !== undefined) {
    skCondition = " AND #sk >= :gte";
    values[":gte"] = { S: gte };
  } else if (lte !== undefined) {
    skCondition = " AND #sk <= :lte";
    values[":lte"] = { S: lte };
  }
  const input: QueryCommandInput = {
    TableName: table,
    KeyConditionExpression: `#pk = :pk${skCondition}`,
    ExpressionAttributeNames: skCondition === "" ? { "#pk": "pk" } : { "#pk": "pk", "#sk": "sk" },
    ExpressionAttributeValues: values,
    ConsistentRead: true,
    ScanIndexForward: options.reverse !== true,
  };
  if (options.limit !== undefined) input.Limit = options.limit;
  if (options.cursor !== undefined) {
    const cursor = decodeManifestCursor(options.cursor, pk);
    input.ExclusiveStartKey = itemKey(cursor.pk, cursor.sk);
  }
  return input;
}
