import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '../../src/store/create-store.js';
import { openGatewayStore } from '../../src/store/gateway-database.js';
import type { GatewayStore } from '../../src/store/gateway-store.js';

export interface GatewayDatabase {
  /** A new gateway store connection to the file; two connections play two replicas. */
  open(): GatewayStore;
  /** Closes every connection opened and removes the file. */
  dispose(): Promise<void>;
}

/** A migrated SQLite file in a folder of its own, for tests of the gateway's stores and caches. */
export async function createGatewayDatabase(): Promise<GatewayDatabase> {
  const directory = await mkdtemp(join(tmpdir(), 'modelport-gateway-'));
  const file = join(directory, 'modelport.db');
  const main = await createStore(file);
  await main.migrate();
  await main.close();
  const opened: GatewayStore[] = [];
  return {
    open() {
      const store = openGatewayStore(file);
      opened.push(store);
      return store;
    },
    async dispose() {
      for (const store of opened) await store.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
