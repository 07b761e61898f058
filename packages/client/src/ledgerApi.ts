/**
 * The base of the domain clients (pharmacy, supply, payments): an {@link ApiClient} of one
 * node, calling the routes of the table (api/), with the node's ledger client beside it. Reads
 * that need a member are signed requests (auth.ts); writes post a body that carries a signed
 * transaction, which authenticates itself. Errors are `MedledgerHttpError` with the node's code.
 */
import { ApiClient } from './api/call.js';
import { MedledgerClient, type RequestSigner } from './http.js';

export class LedgerApi extends ApiClient {
  readonly ledger: MedledgerClient;

  /**
   * @param baseUrl the node's URL
   * @param signer the member who signs reads (optional for public routes and submissions)
   */
  constructor(baseUrl: string, signer?: RequestSigner) {
    super(baseUrl, signer);
    this.ledger = new MedledgerClient(this.baseUrl, signer);
  }

  /** The member id of the signer, if any. */
  get signerId(): string | undefined {
    return this.signer?.signerId;
  }
}
