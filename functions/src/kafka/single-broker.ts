/**
 * The trivial BrokerDirectory: this agent alone, named leader of every partition and coordinator
 * of every group. Any agent accepts any partition, so a single advertised address (one agent, or
 * a load balancer in front of several) is always right; the manifest-backed directory of live
 * agents replaces it when several agents must each be named.
 */
import type { BrokerDirectory, BrokerInfo } from "./group-port.js";

export class SingleBrokerDirectory implements BrokerDirectory {
  private readonly info: BrokerInfo;

  constructor(advertised: { host: string; port: number }, nodeId = 0) {
    this.info = { nodeId, host: advertised.host, port: advertised.port };
  }

  self(): BrokerInfo {
    return this.info;
  }
  async live(): Promise<BrokerInfo[]> {
    return [this.info];
  }
  async coordinatorFor(): Promise<BrokerInfo> {
    return this.info;
  }
  async leaderFor(): Promise<BrokerInfo> {
    return this.info;
  }
  async start(): Promise<void> {}
  async close(): Promise<void> {}
}
