/**
 * A Distributed Map's ItemReader for `arn:aws:states:::s3:getObject`: the
 * object is read through the AWS SDK v3 S3 client (locally pointed at s3rver
 * by AWS_ENDPOINT_URL_S3, on AWS the real service) and turned into the items
 * the Map iterates over, as Step Functions does for each InputType:
 *
 * - JSON: the object is one JSON array; its elements are the items.
 * - JSONL: one JSON value per non-blank line.
 * - CSV: one object per row, keyed by the header (the first row, or the
 *   CSVHeaders given), every value a string; quoted fields may hold the
 *   delimiter, doubled quotes and line breaks.
 *
 * MaxItems keeps the first items only. A failure (missing object, unreadable
 * content) is `States.ItemReaderFailed`, which the Map's Retry and Catch see.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ERR, StatesError } from './errors.ts';
import { type Json, type JsonObject, isObject } from './json.ts';

export const ITEM_READER_INPUT_TYPES = ['JSON', 'JSONL', 'CSV'] as const;
export type ItemReaderInputType = (typeof ITEM_READER_INPUT_TYPES)[number];

const CSV_DELIMITERS: Record<string, string> = { COMMA: ',', PIPE: '|', SEMICOLON: ';', SPACE: ' ', TAB: '\t' };

/** What the interpreter hands to the task runner: the evaluated Arguments/Parameters and ReaderConfig. */
export interface ItemReaderRequest {
  Bucket: string;
  Key: string;
  VersionId?: string;
  InputType: ItemReaderInputType;
  MaxItems?: number;
  CSVHeaderLocation?: 'FIRST_ROW' | 'GIVEN';
  CSVHeaders?: string[];
  CSVDelimiter?: string;
}

/** True for the one ItemReader resource the local runtime runs (any partition). */
export function isGetObjectReader(resource: unknown): boolean {
  return typeof resource === 'string' && /^arn:aws[a-z-]*:states:::s3:getObject$/.test(resource);
}

let client: S3Client | undefined;

/** The S3 client, made on first use so that the endpoint variables of the process at that time apply. */
function s3(): S3Client {
  // s3rver, like any endpoint other than AWS, serves path-style URLs only.
  client ??= new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
  return client;
}

function failed(cause: string): StatesError {
  return new StatesError(ERR.ItemReaderFailed, cause);
}

/** Checks the evaluated request, or throws States.ItemReaderFailed saying what is wrong. */
export function itemReaderRequest(args: Json, config: JsonObject, maxItems: number | undefined): ItemReaderRequest {
  if (!isObject(args) || typeof args.Bucket !== 'string' || typeof args.Key !== 'string') {
    throw failed(`The ItemReader needs Arguments/Parameters with a Bucket and a Key string, not ${JSON.stringify(args)}`);
  }
  const inputType = config.InputType;
  if (!ITEM_READER_INPUT_TYPES.includes(inputType as ItemReaderInputType)) {
    throw failed(`The ItemReader InputType ${JSON.stringify(inputType)} is not supported locally (JSON, JSONL or CSV)`);
  }
  const request: ItemReaderRequest = { Bucket: args.Bucket, Key: args.Key, InputType: inputType as ItemReaderInputType };
  if (typeof args.VersionId === 'string') request.VersionId = args.VersionId;
  if (maxItems !== undefined) request.MaxItems = maxItems;
  if (config.CSVHeaderLocation === 'GIVEN' || config.CSVHeaderLocation === 'FIRST_ROW') request.CSVHeaderLocation = config.CSVHeaderLocation;
  if (Array.isArray(config.CSVHeaders)) request.CSVHeaders = config.CSVHeaders.map(String);
  if (typeof config.CSVDelimiter === 'string') request.CSVDelimiter = config.CSVDelimiter;
  return request;
}

/** Reads the object and returns its items; throws States.ItemReaderFailed. */
export async function readItems(request: ItemReaderRequest): Promise<Json[]> {
  let text: string;
  try {
    const object = await s3().send(new GetObjectCommand({ Bucket: request.Bucket, Key: request.Key, ...(request.VersionId ? { VersionId: request.VersionId } : {}) }));
    text = (await object.Body?.transformToString('utf-8')) ?? '';
  } catch (err) {
    const name = err instanceof Error ? err.name : 'Error';
    throw failed(`S3 GetObject of s3://${request.Bucket}/${request.Key} failed: ${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const items = parseItems(text, request);
  return request.MaxItems !== undefined && request.MaxItems > 0 ? items.slice(0, request.MaxItems) : items;
}

/** The items of an object's text, by InputType. */
export function parseItems(text: string, request: Pick<ItemReaderRequest, 'InputType' | 'CSVHeaderLocation' | 'CSVHeaders' | 'CSVDelimiter' | 'Key'>): Json[] {
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  switch (request.InputType) {
    case 'JSON': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch (err) {
        throw failed(`The object ${request.Key} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (!Array.isArray(parsed)) throw failed(`The object ${request.Key} holds no JSON array: attempting to map over a non-iterable node`);
      return parsed as Json[];
    }
    case 'JSONL': {
      const items: Json[] = [];
      body.split(/\r?\n/).forEach((line, index) => {
        if (line.trim() === '') return;
        try {
          items.push(JSON.parse(line) as Json);
        } catch (err) {
          throw failed(`Line ${index + 1} of ${request.Key} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
        }
      });
      return items;
    }
    case 'CSV': {
      const delimiter = CSV_DELIMITERS[request.CSVDelimiter ?? 'COMMA'];
      if (delimiter === undefined) throw failed(`The CSVDelimiter ${JSON.stringify(request.CSVDelimiter)} is not one of ${Object.keys(CSV_DELIMITERS).join(', ')}`);
      const rows = parseCsv(body, delimiter);
      const headers = request.CSVHeaderLocation === 'GIVEN' ? (request.CSVHeaders ?? []) : (rows.shift() ?? []);
      if (headers.length === 0) throw failed(`The CSV object ${request.Key} has no header`);
      return rows.map((row) => Object.fromEntries(headers.map((header, i) => [header, row[i] ?? ''])));
    }
  }
}

/** RFC 4180 records: quoted fields, doubled quotes, CRLF or LF; blank lines are skipped. */
function parseCsv(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRow = () => {
    row.push(field);
    if (row.length > 1 || row[0] !== '') rows.push(row);
    row = [];
    field = '';
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      endRow();
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else field += c;
    i++;
  }
  if (field !== '' || row.length > 0) endRow();
  return rows;
}
