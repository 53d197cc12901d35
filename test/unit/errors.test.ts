import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, MethodNotAllowedError, NotFoundError, ValidationError } from '../../shared/errors.ts';
import { toHttpError } from '../../functions/lib/http-error.ts';

describe('errors', () => {
  it('carry their class default code, or a more precise one, with name and cause', () => {
    const cause = new Error('root');
    const conflict = new ConflictError('stale', { code: 'stale_version', cause, details: [{ path: 'basedOnVersion', message: 'is 1, current is 2' }] });
    expect(conflict).toMatchObject({ name: 'ConflictError', code: 'stale_version', message: 'stale', cause });
    expect(new ConflictError('x').code).toBe('conflict');
    expect(new ValidationError('x').code).toBe('validation_failed');
    expect(new NotFoundError('x').details).toEqual([]);
  });

  it('map to HTTP statuses in one place, with headers where HTTP wants them', () => {
    expect(toHttpError(new ValidationError('bad'), 'r').statusCode).toBe(400);
    expect(toHttpError(new ForbiddenError('no'), 'r').statusCode).toBe(403);
    const notAllowed = toHttpError(new MethodNotAllowedError('no', ['GET', 'POST']), 'r');
    expect(notAllowed.statusCode).toBe(405);
    expect(notAllowed.headers).toEqual({ allow: 'GET, POST' });
    expect(toHttpError(new ConflictError('dup', { code: 'domain_taken' }), 'r').toJSON()).toEqual({ error: { code: 'domain_taken', message: 'dup', details: [] } });
  });

  it('hide the message of anything unexpected behind a request id', () => {
    const hidden = toHttpError(new Error('secret table name in message'), 'req-123');
    expect(hidden.statusCode).toBe(500);
    expect(hidden.expose).toBe(false);
    expect(JSON.stringify(hidden.toJSON())).not.toContain('secret');
    expect(hidden.message).toContain('req-123');
  });
});
