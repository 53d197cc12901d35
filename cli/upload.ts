import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { basename } from 'node:path';
import { CliError, EXIT } from './errors.ts';

/**
 * A file POSTed to a presigned S3 POST as multipart/form-data, streamed from
 * disk with its exact length (S3 refuses chunked uploads), reporting bytes
 * sent as they go so that a terminal can draw a progress bar.
 */
export async function postFileToSlot(
  slot: { url: string; fields: Record<string, string> },
  path: string,
  size: number,
  onProgress: (sent: number) => void,
): Promise<void> {
  const boundary = `----accord${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    Object.entries(slot.fields)
      .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
      .join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${basename(path).replace(/["\r\n]/g, '_')}"\r\nContent-Type: text/csv\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = new URL(slot.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;

  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = send(url, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + size + tail.length) },
    });
    request.on('response', resolve);
    request.on('error', (error) => reject(new CliError(`the upload to ${url.origin} failed: ${error.message}`, EXIT.unreachable, { cause: error })));
    request.write(head);
    let sent = 0;
    const file = createReadStream(path);
    file.on('data', (chunk) => {
      sent += chunk.length;
      onProgress(sent);
      if (!request.write(chunk)) {
        file.pause();
        request.once('drain', () => file.resume());
      }
    });
    file.on('error', (error) => {
      request.destroy();
      reject(new CliError(`cannot read ${path}: ${error.message}`, EXIT.usage, { cause: error }));
    });
    file.on('end', () => request.end(tail));
  });
  let body = '';
  for await (const chunk of response) body += String(chunk);
  const status = response.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? `HTTP ${status}`;
    throw new CliError(`the storage refused the upload: ${message}`, EXIT.failed);
  }
}
