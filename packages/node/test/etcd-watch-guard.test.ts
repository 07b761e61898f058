import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatchManager } from 'etcd3/lib/watch.js';
import { guardWatchResponses } from '../src/index.js';

test('etcd watch guard: a watch response for a watch the client no longer tracks is dropped, not thrown; a tracked one is delivered', () => {
  // The guard is installed on etcd3's WatchManager when the etcd log module loads.
  const events: unknown[] = [];
  const manager = {
    watchers: [{ id: '7', emit: (name: string, res: unknown) => events.push([name, res]) }],
    initialBackoff: { next: () => ({}) },
    handleUpdateResponse(w: { emit(n: string, r: unknown): void }, res: unknown) {
      w.emit('data', res);
    },
  };
  const handle = (WatchManager.prototype as unknown as { handleResponse(res: unknown): void }).handleResponse;
  assert.doesNotThrow(() => handle.call(manager, { watch_id: '3', canceled: false, events: [] }));
  assert.equal(events.length, 0);
  handle.call(manager, { watch_id: '7', canceled: false, events: [] });
  assert.equal(events.length, 1);
  // Unguarded, etcd3 throws (the crash the guard prevents).
  class Bare {
    watchers: { id: unknown }[] = [];
    handleResponse(res: { watch_id: unknown }): void {
      if (!this.watchers.find((w) => w.id === res.watch_id))
        throw new Error('Failed to find watcher for IWatchResponse');
    }
  }
  const bare = new Bare();
  assert.throws(() => bare.handleResponse({ watch_id: '3' }), /Failed to find watcher/);
  guardWatchResponses(Bare.prototype);
  assert.doesNotThrow(() => bare.handleResponse({ watch_id: '3' }));
});
