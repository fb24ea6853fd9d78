import { FloeClient, text } from "floe-client";

const client = new FloeClient({ url: process.env.FLOE_URL ?? "http://127.0.0.1:8080" });
await client.admin.createTopic("orders", { partitions: 3 }).catch((error) => {
  if (error?.code !== "topic_exists") throw error; // made by an earlier run: fine
});

const producer = client.producer();
await producer.send("orders", { key: "user-42", value: "hello" });
await producer.close();

// follow: false reads what is there and ends; the loop's end closes the consumer, which commits
// and leaves the group (a member left behind would hold its partitions for its 30 s session).
const consumer = client.consumer({ topics: "orders", group: "billing", from: "earliest", follow: false });
for await (const r of consumer) console.log(r.partition, r.offset, text(r.key), text(r.value));
