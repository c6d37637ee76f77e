import type { TestProject } from 'vitest/node';
import { startRedisCluster } from './redis-cluster.js';

// The `cluster` project runs the queue, seat-lock and gateway suites again, on a local Redis
// Cluster of three masters: every server they start gets REDIS_CLUSTER_NODES.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startRedisCluster(3);
  project.provide('redisClusterNodes', cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','));
  return () => cluster.stop();
}
