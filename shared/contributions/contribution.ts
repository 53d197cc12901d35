import { z } from 'zod';
import { BlindKeyPairFingerprintsSchema } from '../blind/keys.ts';
import { idPattern } from '../ids.ts';
import { PopulationSchema, SideSchema } from '../terms.ts';
import { ColumnMappingSchema, PopulationValuesSchema } from './columns.ts';

/**
 * A contribution: one upload of a party's account list for one run. It is
 * created with its upload slot, validated when the object lands in S3, and
 * the newest accepted one of each side is the one the run counts.
 */

/** Uploads are refused above this size (the presigned POST's policy on AWS, the validator everywhere). */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

/** The upload limit in force: MAX_UPLOAD_BYTES, or less where ACCORD_MAX_UPLOAD_BYTES says so (tests). */
export function maxUploadBytes(env: Record<string, string | undefined> = process.env): number {
  const configured = Number(env.ACCORD_MAX_UPLOAD_BYTES);
  return Number.isInteger(configured) && configured > 0 && configured < MAX_UPLOAD_BYTES ? configured : MAX_UPLOAD_BYTES;
}
/** How long an upload slot stays usable. */
export const UPLOAD_SLOT_SECONDS = 15 * 60;

export const CONTRIBUTION_STATUSES = ['awaiting_upload', 'validating', 'accepted', 'rejected'] as const;
export type ContributionStatus = (typeof CONTRIBUTION_STATUSES)[number];

export const ContributionIdSchema = z.string().regex(idPattern('contribution'), 'must be a contribution id (ctb_...)');

export const UploadSlotRequestSchema = z
  .strictObject({
    filename: z.string().trim().min(1).max(255).optional().describe('for the report only'),
    columnMapping: ColumnMappingSchema.meta({ id: 'ColumnMapping', description: 'which header holds each field, when the usual CRM export names are not used' }).optional(),
    populationValues: PopulationValuesSchema.optional().describe('your own Type/Status values, e.g. {"Tier 1": "customer"}; they win over the known ones'),
    defaultPopulation: PopulationSchema.optional().describe('the population of rows whose type column is empty, or of every row when there is none'),
    blindKeys: BlindKeyPairFingerprintsSchema.optional().describe(
      'blind agreements only, and required there: the fingerprints of the two public keys the run’s secret was derived from (GET /v1/agreements/{agreementId}/blind-keys?runId=...)',
    ),
  })
  .meta({ id: 'UploadSlotRequest' });
export type UploadSlotRequest = z.output<typeof UploadSlotRequestSchema>;

export const ValidationReportSchema = z
  .object({
    verdict: z.enum(['accepted', 'rejected']),
    reason: z.string().optional(),
    rowsRead: z.int(),
    accepted: z.int(),
    rejected: z.int(),
    rejections: z.array(z.object({ line: z.int(), reason: z.string() })).describe('the first 100 rejected rows'),
    populations: z.record(z.string(), z.int()),
    columns: z.record(z.string(), z.string()).describe('field -> header used'),
    delimiter: z.string(),
    bytes: z.int(),
  })
  .meta({ id: 'ValidationReport' });

export const ContributionSchema = z
  .object({
    id: ContributionIdSchema,
    agreementId: z.string(),
    runId: z.string(),
    partnerId: z.string(),
    side: SideSchema,
    status: z.enum(CONTRIBUTION_STATUSES),
    filename: z.string().optional(),
    columnMapping: ColumnMappingSchema.optional(),
    populationValues: PopulationValuesSchema.optional(),
    defaultPopulation: PopulationSchema.optional(),
    blindKeys: BlindKeyPairFingerprintsSchema.optional().describe('a blind contribution: the public keys its tokens were made with'),
    createdAt: z.iso.datetime(),
    uploadedAt: z.iso.datetime().optional(),
    validatedAt: z.iso.datetime().optional(),
    report: ValidationReportSchema.optional(),
    /** Counts for the run: the newest accepted contribution of its side. */
    current: z.boolean().optional(),
  })
  .meta({ id: 'Contribution' });
export type Contribution = z.output<typeof ContributionSchema>;

export const UploadSlotSchema = z
  .object({
    contribution: ContributionSchema,
    upload: z.object({
      url: z.string().describe('POST the file here as multipart/form-data: the fields below first, then `file`'),
      fields: z.record(z.string(), z.string()),
      expiresAt: z.iso.datetime(),
      maxBytes: z.int(),
    }),
  })
  .meta({ id: 'UploadSlot' });

/** The S3 key of a contribution's file: one key per contribution, so a slot can upload one object only. */
export function contributionObjectKey(c: Pick<Contribution, 'agreementId' | 'runId' | 'id'>): string {
  return `contributions/${c.agreementId}/${c.runId}/${c.id}.csv`;
}

/** The ids in a contribution object key, or undefined when the key is not one. */
export function parseContributionObjectKey(key: string): { agreementId: string; runId: string; contributionId: string } | undefined {
  const match = /^contributions\/(agr_[0-9a-z]{20})\/(run_[0-9a-z]{20})\/(ctb_[0-9a-z]{20})\.csv$/.exec(key);
  return match ? { agreementId: match[1] ?? '', runId: match[2] ?? '', contributionId: match[3] ?? '' } : undefined;
}
