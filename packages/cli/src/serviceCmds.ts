/**
 * The command lines of an organization's services (bin.ts dispatches here):
 *   medledger org services     --dir ADMIN_DIR --node URL
 *   medledger abe issue        --dir WALLETS --label L --node URL
 *   medledger credential issue --dir WALLETS --label L --node URL [--issuer ORG]
 *   medledger credential revoke --dir WALLETS --label ADMIN --member ID --node URL [--issuer ORG]
 *   medledger group join       --dir WALLETS --label L --group G --node URL
 *   medledger group revoke     --dir WALLETS --label ADMIN --group G --member ID --node URL
 *   medledger group open       --dir WALLETS --label ADMIN --group G --tx TXID --node URL
 * Results go to stdout as one JSON line; no secret is ever printed.
 */
import { str, UsageError, type Args } from './args.js';
import { passphraseFor } from './passphrase.js';
import { readWalletFile } from './dirs/wallets.js';
import type { MemberServiceOptions } from './commands/serviceMember.js';

const print = (v: unknown): void => void process.stdout.write(`${JSON.stringify(v)}\n`);

function member(a: Args): MemberServiceOptions {
  const dir = str(a, 'dir');
  return { dir, label: str(a, 'label'), passphrase: passphraseFor(dir), node: str(a, 'node') };
}

/** The member's own organization (default issuer of its credentials), from its wallet. */
const orgOf = (o: MemberServiceOptions): string => readWalletFile(o.dir, o.label).requested.org;

/** `medledger org services`. */
export async function orgServicesCmd(a: Args): Promise<number> {
  const { orgServices } = await import('./commands/orgServices.js');
  const dir = str(a, 'dir');
  const done = await orgServices({ dir, passphrase: passphraseFor(dir), node: str(a, 'node') });
  print({ registered: done });
  return 0;
}

/** `medledger abe|credential|group ...`. */
export async function serviceCmd(cmd: string, sub: string | undefined, a: Args): Promise<number> {
  switch (`${cmd} ${sub ?? ''}`) {
    case 'abe issue': {
      const { abeIssue } = await import('./commands/abe.js');
      print(await abeIssue(member(a)));
      return 0;
    }
    case 'credential issue': {
      const { credentialIssue } = await import('./commands/credential.js');
      const m = member(a);
      print(await credentialIssue({ ...m, issuer: a.flags.has('issuer') ? str(a, 'issuer') : orgOf(m) }));
      return 0;
    }
    case 'credential revoke': {
      const { credentialRevoke } = await import('./commands/credential.js');
      const m = member(a);
      const issuer = a.flags.has('issuer') ? str(a, 'issuer') : orgOf(m);
      print(await credentialRevoke({ ...m, issuer, member: str(a, 'member') }));
      return 0;
    }
    case 'group join': {
      const { groupJoin } = await import('./commands/group.js');
      print(await groupJoin({ ...member(a), group: str(a, 'group') }));
      return 0;
    }
    case 'group revoke': {
      const { groupRevoke } = await import('./commands/group.js');
      print(await groupRevoke({ ...member(a), group: str(a, 'group'), member: str(a, 'member') }));
      return 0;
    }
    case 'group open': {
      const { groupOpen } = await import('./commands/group.js');
      print({ memberId: await groupOpen({ ...member(a), group: str(a, 'group'), tx: str(a, 'tx') }) });
      return 0;
    }
    default:
      throw new UsageError(
        cmd === 'abe'
          ? 'abe issue'
          : cmd === 'credential'
            ? 'credential issue|revoke'
            : 'group join|revoke|open',
      );
  }
}
