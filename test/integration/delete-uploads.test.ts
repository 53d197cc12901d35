import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { s3 } from '../../functions/lib/clients.ts';
import { deleteAllVersions, deleteRunUploads, runUploadsPrefix, versionIdentifiers } from '../../functions/lib/delete-uploads.ts';
import { ENV } from '../../infra/definitions.ts';
import { newId } from '../../shared/ids.ts';

/**
 * Deleting a run's raw uploads for good. On AWS every version and delete
 * marker under the run's prefix is deleted by version id; s3rver keeps no
 * versions (it answers ListObjectVersions with MethodNotAllowed), so here the
 * same call deletes the keys under the prefix, and these tests check what
 * s3rver can show: everything of the run is gone, nothing of another run.
 * (Paging past 1,000 keys is not tried here: s3rver's continuation token
 * needs a cipher that Node 22's OpenSSL refuses, so it fails to list them.)
 */

const bucket = () => process.env[ENV.uploadsBucket];

async function keys(prefix: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
}

describe('deleteRunUploads', () => {
  it('deletes every upload of the run, and nothing of another run of the same agreement', async () => {
    const agreementId = newId('agreement');
    const [runId, otherRunId] = [newId('run'), newId('run')];
    // Not contribution keys (ctb_....csv), so the upload validator of the embedded stack leaves them alone.
    const mine = [1, 2, 3].map((n) => `${runUploadsPrefix(agreementId, runId)}upload-${n}.csv`);
    const other = `${runUploadsPrefix(agreementId, otherRunId)}upload-1.csv`;
    for (const key of [...mine, other]) await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: 'Account Name,Website\nAcme,acme.com\n' }));
    // A contribution replaced before the deadline: the same key written twice.
    await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: mine[0], Body: 'Account Name\nAcme\n' }));

    expect(await deleteRunUploads(agreementId, runId)).toBe(3);
    expect(await keys(runUploadsPrefix(agreementId, runId))).toEqual([]);
    expect(await keys(`contributions/${agreementId}/`)).toEqual([other]);
    expect(await deleteRunUploads(agreementId, runId)).toBe(0);
  });

  it('refuses a prefix that is not a folder', async () => {
    await expect(deleteAllVersions(bucket() ?? '', '')).rejects.toThrow(/refusing/);
    await expect(deleteAllVersions(bucket() ?? '', 'contributions/agr_x')).rejects.toThrow(/refusing/);
  });
});

describe('versionIdentifiers', () => {
  it('names every version and delete marker by key and version id, so that DeleteObjects removes them for good', () => {
    expect(
      versionIdentifiers(
        [
          { Key: 'p/a.csv', VersionId: 'v2' },
          { Key: 'p/a.csv', VersionId: 'v1' },
          { Key: 'p/b.csv', VersionId: 'null' },
        ],
        [{ Key: 'p/c.csv', VersionId: 'm1' }, { VersionId: 'orphan' }],
      ),
    ).toEqual([
      { Key: 'p/a.csv', VersionId: 'v2' },
      { Key: 'p/a.csv', VersionId: 'v1' },
      { Key: 'p/b.csv', VersionId: 'null' },
      { Key: 'p/c.csv', VersionId: 'm1' },
    ]);
  });
});
