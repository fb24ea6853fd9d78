// Runs in a fresh Node process, as the Lambda runtime would: loads a synthesised Lambda bundle
// (index.mjs) and invokes its exported handlers with the JSON events read from stdin, in order.
//
//   stdin:  { "bundle": "<asset dir>", "calls": [{ "export": "handler" | "streamHandler", "event": {...} }] }
//   stdout: whatever the bundle logs, then one line `RESULT <json>` with a result per call:
//           buffered: the handler's return value; streaming: { metadata, body } as sent.
//
// Plain JavaScript on purpose: nothing from the repository is loaded but the bundle.
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";

const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");

// What the Lambda Node.js runtime provides as a global for response streaming.
globalThis.awslambda = {
  streamifyResponse(handler) {
    handler[STREAMING] = "response";
    return handler;
  },
  HttpResponseStream: {
    from(stream, metadata) {
      stream.metadata = metadata;
      return stream;
    },
  },
};

function collector() {
  const chunks = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  const finished = new Promise((resolve, reject) => {
    stream.once("finish", resolve);
    stream.once("error", reject);
  });
  return { stream, chunks, finished };
}

function context(name) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    memoryLimitInMB: "1024",
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: "bundle-test",
    getRemainingTimeInMillis: () => 30_000,
  };
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
const plan = JSON.parse(input);
const bundle = await import(pathToFileURL(`${plan.bundle}/index.mjs`).href);
const results = [];
for (const call of plan.calls) {
  const handler = bundle[call.export];
  if (typeof handler !== "function") throw new Error(`the bundle exports no function ${call.export}`);
  if (handler[STREAMING] === "response") {
    const { stream, chunks, finished } = collector();
    await handler(call.event, stream, context("floe-bundle"));
    await finished;
    results.push({ metadata: stream.metadata, body: Buffer.concat(chunks).toString("utf8") });
  } else {
    results.push(await handler(call.event, context("floe-bundle")));
  }
}
process.stdout.write(`RESULT ${JSON.stringify(results)}\n`);
// The runtime freezes the process between invocations; here, end it (SDK sockets keep it alive).
process.exit(0);
