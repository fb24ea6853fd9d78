/**
 * SASL/PLAIN on the Kafka listener: with FLOE_API_TOKENS the password must be a token and nothing
 * but the SASL exchange (and ApiVersions) is served before it; without tokens SASL is optional.
 * Proven with a bare wire client (the exact error codes and closes), kcat (librdkafka) and kafkajs.
 */
import { execFile, execFileSync } from "node:child_process";
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import type { Message } from "../../functions/src/kafka/codec/codec.js";
import { KAFKA } from "../../functions/src/kafka/errors.js";
import { kafkaTopic, useKafkaAgent } from "./harness.js";
import { WireClient } from "./wire.js";

const TOKEN = "sasl-test-token-1";
const plain = (user: string, password: string) => new TextEncoder().encode(`\u0000${user}\u0000${password}`);

function hasKcat(): boolean {
  try {
    execFileSync("kcat", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const KCAT = hasKcat();

function kcat(args: string[], input = ""): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile("kcat", args, { timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ ok: !error, stdout, stderr }),
    );
    child.stdin!.end(input);
  });
}

const kcatSasl = (broker: string, password: string) => [
  "-b",
  broker,
  "-X",
  "security.protocol=SASL_PLAINTEXT",
  "-X",
  "sasl.mechanisms=PLAIN",
  "-X",
  "sasl.username=alice",
  "-X",
  `sasl.password=${password}`,
];

const METADATA_V12: Message = {
  topics: [],
  allowAutoTopicCreation: false,
  includeTopicAuthorizedOperations: false,
};

async function handshake(client: WireClient, mechanism: string): Promise<Message> {
  client.send(17, 1, 1, { mechanism });
  return (await client.response(17, 1))!.body;
}

async function authenticate(client: WireClient, version: number, bytes: Uint8Array): Promise<Message> {
  client.send(36, version, 2, { authBytes: bytes });
  return (await client.response(36, version))!.body;
}

describe("SASL/PLAIN with API tokens configured", () => {
  const agent = useKafkaAgent({ env: { FLOE_API_TOKENS: `other-token,${TOKEN}` } });

  it("ApiVersions advertises SaslHandshake v0-1 and SaslAuthenticate v0-2, and is served before authentication", async () => {
    const client = await WireClient.open(agent().broker);
    client.send(18, 3, 1, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
    const keys = (await client.response(18, 3))!.body.apiKeys as Message[];
    client.close();
    expect(keys.find((k) => k.apiKey === 17)).toMatchObject({ minVersion: 0, maxVersion: 1 });
    expect(keys.find((k) => k.apiKey === 36)).toMatchObject({ minVersion: 0, maxVersion: 2 });
  });

  it("any other request before authentication closes the connection", async () => {
    const client = await WireClient.open(agent().broker);
    client.send(3, 12, 1, METADATA_V12);
    expect(await client.closedByServer()).toBe(true);
  });

  it("SaslAuthenticate without a handshake closes the connection", async () => {
    const client = await WireClient.open(agent().broker);
    client.send(36, 2, 1, { authBytes: plain("alice", TOKEN) });
    expect(await client.closedByServer()).toBe(true);
  });

  it("another mechanism is answered UNSUPPORTED_SASL_MECHANISM with the enabled ones, then closed", async () => {
    const client = await WireClient.open(agent().broker);
    const answer = await handshake(client, "SCRAM-SHA-256");
    expect(answer).toEqual({ errorCode: KAFKA.UNSUPPORTED_SASL_MECHANISM, mechanisms: ["PLAIN"] });
    expect(await client.closedByServer()).toBe(true);
  });

  it("a wrong password is SASL_AUTHENTICATION_FAILED with a clear message, then closed", async () => {
    const client = await WireClient.open(agent().broker);
    expect((await handshake(client, "PLAIN")).errorCode).toBe(KAFKA.NONE);
    const answer = await authenticate(client, 2, plain("alice", "not-a-token"));
    expect(answer.errorCode).toBe(KAFKA.SASL_AUTHENTICATION_FAILED);
    expect(answer.errorMessage).toMatch(/invalid username or password.*FLOE_API_TOKENS/);
    expect(await client.closedByServer()).toBe(true);
  });

  for (const version of [0, 1, 2]) {
    it(`a token as the password authenticates (SaslAuthenticate v${version}); then every API is served`, async () => {
      const client = await WireClient.open(agent().broker);
      expect(await handshake(client, "PLAIN")).toEqual({ errorCode: 0, mechanisms: ["PLAIN"] });
      expect(await authenticate(client, version, plain("alice", TOKEN))).toMatchObject({ errorCode: 0 });
      client.send(3, 12, 3, METADATA_V12);
      const metadata = (await client.response(3, 12))!.body;
      client.close();
      expect((metadata.brokers as Message[]).length).toBeGreaterThan(0);
    });
  }

  it("SaslHandshake v0: the bare token that follows authenticates (empty token back) or closes", async () => {
    const bare = (bytes: Uint8Array) => {
      const out = new Uint8Array(4 + bytes.byteLength);
      new DataView(out.buffer).setInt32(0, bytes.byteLength);
      out.set(bytes, 4);
      return out;
    };
    const good = await WireClient.open(agent().broker);
    good.send(17, 0, 1, { mechanism: "PLAIN" });
    expect((await good.response(17, 0))!.body.errorCode).toBe(0);
    good.raw(bare(plain("alice", TOKEN)));
    expect((await good.next())?.byteLength).toBe(0);
    good.send(3, 12, 2, METADATA_V12);
    expect((await good.response(3, 12))!.body.brokers).toBeTruthy();
    good.close();
    const bad = await WireClient.open(agent().broker);
    bad.send(17, 0, 1, { mechanism: "PLAIN" });
    await bad.response(17, 0);
    bad.raw(bare(plain("alice", "wrong")));
    expect(await bad.closedByServer()).toBe(true);
  });

  it("kafkajs: sasl {mechanism: 'plain'} with a token produces and consumes; a wrong password fails to connect", async () => {
    // Prepare
    const topic = kafkaTopic("sasl-js");
    await agent().runtime.log.topics.create(topic, 1);
    const client = (password: string) =>
      new Kafka({
        clientId: "sasl-test",
        brokers: [agent().broker],
        sasl: { mechanism: "plain", username: "alice", password },
        logLevel: logLevel.NOTHING,
        retry: { retries: 1 },
      });
    // Act
    const producer = client(TOKEN).producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic, messages: [{ value: "hello over sasl" }] });
    await producer.disconnect();
    const admin = client(TOKEN).admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const refused = client("wrong").producer();
    const error = await refused.connect().catch((e: unknown) => e);
    // Assess
    expect(offsets).toEqual([expect.objectContaining({ partition: 0, high: "1" })]);
    expect(String((error as Error).message)).toMatch(
      /SASL PLAIN authentication failed|invalid username or password/i,
    );
  }, 60_000);

  it.skipIf(!KCAT)(
    "kcat: SASL_PLAINTEXT/PLAIN with a token produces and consumes; a wrong password fails",
    async () => {
      const topic = kafkaTopic("sasl-kcat");
      await agent().runtime.log.topics.create(topic, 1);
      const produced = await kcat([...kcatSasl(agent().broker, TOKEN), "-t", topic, "-P"], "one\ntwo\n");
      const consumed = await kcat([
        ...kcatSasl(agent().broker, TOKEN),
        "-t",
        topic,
        "-C",
        "-o",
        "beginning",
        "-e",
      ]);
      const refused = await kcat([...kcatSasl(agent().broker, "wrong"), "-L", "-m", "5"]);
      expect(produced.ok).toBe(true);
      expect(consumed.stdout.trim().split("\n")).toEqual(["one", "two"]);
      expect(refused.ok).toBe(false);
      expect(refused.stderr).toMatch(/Authentication failed|SASL authentication error/i);
    },
    60_000,
  );
});

describe("SASL without API tokens: optional", () => {
  const agent = useKafkaAgent();

  it("serves clients without SASL and accepts PLAIN with any credentials", async () => {
    const client = await WireClient.open(agent().broker);
    client.send(3, 12, 1, METADATA_V12);
    expect((await client.response(3, 12))!.body.brokers).toBeTruthy();
    expect((await handshake(client, "PLAIN")).errorCode).toBe(0);
    expect((await authenticate(client, 2, plain("anyone", "anything"))).errorCode).toBe(0);
    client.close();
  });

  it.skipIf(!KCAT)(
    "kcat with SASL_PLAINTEXT connects with any password",
    async () => {
      const out = await kcat([...kcatSasl(agent().broker, "whatever"), "-L"]);
      expect(out.stderr).toBe("");
      expect(out.ok).toBe(true);
      expect(out.stdout).toContain(`broker 0 at ${agent().broker}`);
    },
    60_000,
  );
});
