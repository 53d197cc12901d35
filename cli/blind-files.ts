import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BlindKeyPair } from '../shared/blind/keys.ts';
import type { AccountRow } from '../shared/contributions/validate.ts';
import { CliError, EXIT } from './errors.ts';

/**
 * What blind matching keeps on the partner's machine, beside the config file
 * and as private as it (files 0600 in folders 0700):
 *
 *   blind/keys/<hex fingerprint>.pem                          an X25519 private key (PKCS#8 PEM), by its public key's fingerprint
 *   blind/runs/<agreementId>/<runId>/<contributionId>.json    record reference → the row of the list it stands for
 *   blind/runs/<agreementId>/<runId>/<contributionId>.csv     the blind file exactly as uploaded
 *
 * Keys are found by fingerprint because a run keeps the keys it was fixed
 * with: after a rotation, the old key still serves the runs made with it.
 */

export function blindFolder(configPath: string): string {
  return join(dirname(configPath), 'blind');
}

/** Writes `text` readable by its owner only, in folders only its owner can enter; never over an existing file. */
async function writePrivate(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, text, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
}

function keyPath(folder: string, fingerprint: string): string {
  return join(folder, 'keys', `${fingerprint.replace(/^sha256:/, '')}.pem`);
}

/** Saves a new key pair's private key; answers where. */
export async function savePrivateKey(folder: string, pair: BlindKeyPair): Promise<string> {
  const path = keyPath(folder, pair.fingerprint);
  await writePrivate(path, pair.privateKeyPem);
  return path;
}

/** The private key of a registered public key, by its fingerprint. */
export async function readPrivateKey(folder: string, fingerprint: string): Promise<string> {
  const path = keyPath(folder, fingerprint);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`cannot read ${path}: ${(error as Error).message}`, EXIT.usage, { cause: error });
    throw new CliError(
      `the run uses your blind key ${fingerprint}, whose private key is not in ${dirname(path)}: ` +
        'run this where `accord keys blind` made it (the run keeps the key it was fixed with; a new key serves later runs)',
      EXIT.usage,
    );
  }
}

function runFolder(folder: string, agreementId: string, runId: string): string {
  return join(folder, 'runs', agreementId, runId);
}

/** Keeps a blind contribution's map and file: the results of the run are read back through the map. */
export async function saveBlindContribution(
  folder: string,
  where: { agreementId: string; runId: string; contributionId: string },
  records: ReadonlyMap<string, AccountRow>,
  csv: string,
): Promise<{ map: string; file: string }> {
  const base = join(runFolder(folder, where.agreementId, where.runId), where.contributionId);
  await writePrivate(`${base}.json`, `${JSON.stringify(Object.fromEntries(records))}\n`);
  await writePrivate(`${base}.csv`, csv);
  return { map: `${base}.json`, file: `${base}.csv` };
}

/** Record reference → own row, over every blind contribution made from this machine to the run. */
export async function readBlindRecords(folder: string, agreementId: string, runId: string): Promise<Map<string, AccountRow>> {
  const at = runFolder(folder, agreementId, runId);
  let names: string[];
  try {
    names = (await readdir(at)).filter((name) => name.endsWith('.json'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    names = [];
  }
  const records = new Map<string, AccountRow>();
  for (const name of names) {
    const map = JSON.parse(await readFile(join(at, name), 'utf8')) as Record<string, AccountRow>;
    for (const [record, row] of Object.entries(map)) records.set(record, row);
  }
  return records;
}
