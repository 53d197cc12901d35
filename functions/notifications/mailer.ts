import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { Notification } from '../../shared/notifications.ts';

/** One e-mail to send: the rendered RFC 5322 message and its envelope. */
export interface OutgoingEmail {
  notification: Notification;
  from: string;
  to: string;
  /** The whole message, CRLF line ends, as `renderEml` makes it. */
  raw: string;
}

/** Sends e-mail. Throws when the message was not accepted; the dispatcher retries it. */
export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
}

function bareAddress(address: string): string {
  return /<([^>]+)>/.exec(address)?.[1] ?? address.trim();
}

/** On AWS: SES v2 `SendEmail` with the raw MIME message, so SES sends exactly what the `.eml` files show locally. */
export class SesMailer implements Mailer {
  constructor(
    private readonly client: SESv2Client,
    private readonly configurationSetName?: string,
  ) {}

  async send(email: OutgoingEmail): Promise<void> {
    await this.client.send(
      new SendEmailCommand({
        FromEmailAddress: bareAddress(email.from),
        Destination: { ToAddresses: [bareAddress(email.to)] },
        Content: { Raw: { Data: Buffer.from(email.raw, 'utf8') } },
        ...(this.configurationSetName ? { ConfigurationSetName: this.configurationSetName } : {}),
        EmailTags: [{ Name: 'accord-event-type', Value: email.notification.type.replace(/[^A-Za-z0-9_-]/g, '_') }],
      }),
    );
  }
}

/**
 * On the embedded stack: each e-mail becomes `<evt id>.eml` in a folder, which
 * any mail client opens. Written to a temporary name and renamed, so a reader
 * never sees half a message; sending the same event again rewrites the same file.
 */
export class OutboxFolderMailer implements Mailer {
  constructor(readonly dir: string) {}

  async send(email: OutgoingEmail): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, `${email.notification.id}.eml`);
    const temporary = join(this.dir, `.${email.notification.id}.${process.pid}.tmp`);
    await writeFile(temporary, email.raw, 'utf8');
    await rename(temporary, file);
  }
}
