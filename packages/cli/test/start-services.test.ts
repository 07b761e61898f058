import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { start } from '../src/commands/start.js';
import { makeDevDir } from './helpers.js';

test(
  'start: the node is an emergency proxy with a published X25519 key that survives a restart; confidentiality, anonymity and fl routes are served',
  { timeout: 60_000 },
  async () => {
    const { dir, nodeDir } = await makeDevDir();
    try {
      const s1 = await start({ dir, dev: true, port: 0, log: () => {} });
      const published = (s1.node.stateValue('pubkeys:node:hospitalA') as { x25519?: string } | undefined)
        ?.x25519;
      assert.match(published ?? '', /^[A-Za-z0-9_-]{43}$/, 'the proxy key is on the ledger');
      assert.equal(statSync(join(nodeDir, 'keys', 'node-enc-hospitalA.key.json')).mode & 0o777, 0o600);
      const h1 = s1.node.head().height;
      const unknown = await fetch(`${s1.url}/v1/confidentiality/abe/authorities/nobody`);
      assert.equal(unknown.status, 404, 'the confidentiality routes answer');
      assert.equal(((await unknown.json()) as { code: string }).code, 'NOT_FOUND');
      const request = await fetch(`${s1.url}/v1/confidentiality/emergency/requests/${'0'.repeat(64)}`);
      assert.equal(request.status, 401, 'emergency requests are served to members only');
      const studies = await fetch(`${s1.url}/v1/fl/studies`);
      assert.equal(studies.status, 401, 'the fl routes are served, to members only');
      await s1.close();
      const s2 = await start({ dir, dev: true, port: 0, log: () => {} });
      assert.equal((s2.node.stateValue('pubkeys:node:hospitalA') as { x25519?: string }).x25519, published);
      assert.equal(s2.node.head().height, h1, 'nothing republished on restart');
      await s2.close();
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  },
);
