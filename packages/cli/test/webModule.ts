/**
 * Loads a module of the portal (packages/web/src) in Node for a unit test: the portal has no
 * test runner of its own (Vite builds it for the browser), so esbuild bundles the module, as
 * the client's browser-bundle test bundles the client, and it is imported from a data URL.
 * Only modules without React or the DOM load this way.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The module at `path` under packages/web/src (e.g. 'views/patient/pathLayout.ts'). */
export async function loadWebModule<T>(path: string): Promise<T> {
  const entry = fileURLToPath(new URL(`../../../web/src/${path}`, import.meta.url));
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    write: false,
  });
  return (await import(
    `data:text/javascript;base64,${Buffer.from(r.outputFiles[0]!.text).toString('base64')}`
  )) as T;
}
