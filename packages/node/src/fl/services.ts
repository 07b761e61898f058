/**
 * The fl services of a node, as `medledger start` runs them: if the node's organization is a
 * care delivery organization, its participant (it plays its part in the studies the hospital
 * joined with `medledger study join`, training on the node's EHR store); always the aggregator,
 * which acts only for studies that name this organization as their aggregator.
 */
import type { EhrStore } from '../ehr/types.js';
import type { MedledgerNode } from '../node.js';
import { FlAggregator } from './aggregator.js';
import { nodeFlLedger } from './ledger.js';
import { FlParticipant } from './participant.js';

export interface FlServices {
  participant?: FlParticipant;
  aggregator: FlAggregator;
  stop(): Promise<void>;
}

/** Starts the fl services of `node` for `org` (see the module comment). */
export function startFlServices(o: {
  node: MedledgerNode;
  org: string;
  nodeKey: Uint8Array;
  ehr: EhrStore;
  log?: (s: string) => void;
}): FlServices {
  const ledger = nodeFlLedger(o.node);
  const report = (e: unknown): void => o.log?.(`fl: ${(e as Error).message}`);
  const isCdo = o.node.genesis.orgs.some((g) => g.id === o.org && g.role === 'cdo');
  const participant = isCdo
    ? new FlParticipant({ ledger, org: o.org, nodeKey: o.nodeKey, ehr: o.ehr })
    : undefined;
  participant?.on('error', report).start();
  const aggregator = new FlAggregator({ ledger, org: o.org, nodeKey: o.nodeKey }).on('error', report).start();
  return {
    ...(participant ? { participant } : {}),
    aggregator,
    async stop() {
      await participant?.stop();
      await aggregator.stop();
    },
  };
}
