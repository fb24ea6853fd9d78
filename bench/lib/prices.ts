/**
 * List prices (US East, N. Virginia) the cost model multiplies counted requests by. Each carries
 * its source and how it was checked on 2026-12-01; docs/design/cost.md prints the same table.
 * "confirmed" = the figure was read in a stored copy of the source on that date; "recalled" = the
 * stored copy did not render the figure (AWS pricing pages are templated), so it is the long-
 * standing list price from that page and must be re-checked before it is quoted to anyone.
 */
export interface Price {
  usd: number;
  unit: string;
  source: string;
  checked: string;
}

const TAKEN = "2026-12-01";

export const PRICES = {
  s3Put: {
    usd: 0.005 / 1000,
    unit: "S3 Standard PUT/COPY/POST/LIST request",
    source: "https://aws.amazon.com/s3/pricing/",
    checked: `${TAKEN}, recalled ($0.005 per 1,000)`,
  },
  s3Get: {
    usd: 0.0004 / 1000,
    unit: "S3 Standard GET/SELECT request",
    source: "https://aws.amazon.com/s3/pricing/",
    checked: `${TAKEN}, recalled ($0.0004 per 1,000)`,
  },
  dynamoWriteUnit: {
    usd: 0.625 / 1e6,
    unit: "DynamoDB on-demand write request unit (after the Nov 2024 50 % cut; was $1.25/M)",
    source:
      "https://aws.amazon.com/dynamodb/pricing/on-demand/ (figure confirmed in https://airbyte.com/data-engineering-resources/dynamodb-pricing)",
    checked: `${TAKEN}, confirmed ($0.625 per million)`,
  },
  dynamoReadUnit: {
    usd: 0.125 / 1e6,
    unit: "DynamoDB on-demand read request unit (strong read of ≤ 4 KiB = 1, eventual = 0.5)",
    source:
      "https://aws.amazon.com/dynamodb/pricing/on-demand/ (figure confirmed in https://airbyte.com/data-engineering-resources/dynamodb-pricing)",
    checked: `${TAKEN}, confirmed ($0.125 per million)`,
  },
  kinesisOnDemandIn: {
    usd: 0.08,
    unit: "Kinesis Data Streams on-demand, per GB written (records rounded up to 1 KiB) + $0.04/stream-hour",
    source: "https://aws.amazon.com/kinesis/data-streams/pricing/",
    checked: `${TAKEN}, recalled ($0.08/GB in; issue 10 quotes the same)`,
  },
  kinesisOnDemandOut: {
    usd: 0.04,
    unit: "Kinesis Data Streams on-demand, per GB read",
    source: "https://aws.amazon.com/kinesis/data-streams/pricing/",
    checked: `${TAKEN}, recalled`,
  },
  kinesisShardHour: {
    usd: 0.015,
    unit: "Kinesis provisioned shard-hour (1 MB/s in, 2 MB/s out)",
    source: "https://aws.amazon.com/kinesis/data-streams/pricing/",
    checked: `${TAKEN}, recalled`,
  },
  kinesisPutUnit: {
    usd: 0.014 / 1e6,
    unit: "Kinesis provisioned PUT payload unit (25 KB of a record)",
    source: "https://aws.amazon.com/kinesis/data-streams/pricing/",
    checked: `${TAKEN}, recalled ($0.014 per million; the 25 KB unit is confirmed in the stored page)`,
  },
  mskServerlessIn: {
    usd: 0.1,
    unit: "MSK Serverless per GB in (+ $0.75/cluster-hour, $0.0015/partition-hour)",
    source: "https://aws.amazon.com/msk/pricing/",
    checked: `${TAKEN}, recalled`,
  },
  mskServerlessOut: {
    usd: 0.05,
    unit: "MSK Serverless per GB out",
    source: "https://aws.amazon.com/msk/pricing/",
    checked: `${TAKEN}, recalled`,
  },
  mskBrokerHour: {
    usd: 0.21,
    unit: "MSK provisioned kafka.m5.large broker-hour (+ $0.10/GB-month storage)",
    source: "https://aws.amazon.com/msk/pricing/",
    checked: `${TAKEN}, recalled`,
  },
  warpstreamWritten: {
    usd: 0.01,
    unit: "WarpStream BYOC per uncompressed GiB written (first 50 TiB/month; + cluster-minutes, storage; S3 requests are the customer's)",
    source:
      "https://www.warpstream.com/pricing (tiers transcribed in github.com/api-evangelist/warpstream finops/warpstream-finops.yml, marked unverified)",
    checked: `${TAKEN}, third-party transcription`,
  },
} satisfies Record<string, Price>;

/** Request dollars of counted S3 and DynamoDB work. */
export function requestDollars(c: {
  s3Puts: number;
  s3Gets: number;
  writeUnits: number;
  readUnits: number;
}): number {
  return (
    c.s3Puts * PRICES.s3Put.usd +
    c.s3Gets * PRICES.s3Get.usd +
    c.writeUnits * PRICES.dynamoWriteUnit.usd +
    c.readUnits * PRICES.dynamoReadUnit.usd
  );
}
