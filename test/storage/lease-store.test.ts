// InProcessLeaseStore (one node on SQLite) passes the lease acceptance suite.
import { InProcessLeaseStore } from '../../server/storage/lease-store.js';
import { leaseStoreSuite } from './lease-store-suite.js';

leaseStoreSuite('InProcessLeaseStore', async () => {
  const store = new InProcessLeaseStore();
  return { nodes: [store, store], dispose: async () => undefined };
});
