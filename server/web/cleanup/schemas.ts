import { Type } from 'typebox';
import { MAX_CHOSEN, MAX_DAYS } from '../../core/cleanup.js';
import { Strict } from '../api/schemas.js';

export const CleanupParams = Type.Object({
  address: Type.String({ minLength: 3, maxLength: 400 }),
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
});

export const CleanupRequest = Type.Object(
  {
    folder: Type.String({ minLength: 1, maxLength: 255, description: 'as the user sees it: Junk, Trash, INBOX, Archive/2024' }),
    olderThanDays: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DAYS, description: 'only messages received more than this many days ago' })),
    uids: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 4_294_967_295 }), {
        minItems: 1,
        maxItems: MAX_CHOSEN,
        description: 'only these messages of the folder (IMAP UIDs, from GET …/large-messages)',
      }),
    ),
    preview: Type.Boolean({ description: 'true: count only, nothing is deleted; false: delete (202, a job)' }),
    previewId: Type.Optional(
      Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'with preview false: delete exactly the messages this preview counted' }),
    ),
  },
  Strict,
);

export const CleanupPreview = Type.Object({
  previewId: Type.Integer({ description: 'confirm with POST …/cleanup {preview: false, previewId} within an hour' }),
  messages: Type.Integer(),
  bytes: Type.Integer(),
});

export const Cleanup = Type.Object({
  id: Type.Integer(),
  folder: Type.String(),
  olderThanDays: Type.Union([Type.Integer(), Type.Null()]),
  status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed'), Type.Literal('preview')]),
  preview: Type.Object({ messages: Type.Integer(), bytes: Type.Integer() }, { description: 'what the preview counted' }),
  result: Type.Union([Type.Object({ messages: Type.Integer(), bytes: Type.Integer() }), Type.Null()], { description: 'what was deleted, once done' }),
  error: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const LargeMessage = Type.Object({
  folder: Type.String(),
  uid: Type.Integer(),
  bytes: Type.Integer(),
  from: Type.String(),
  subject: Type.String(),
  date: Type.String({ description: 'when it arrived, as the mail server gives it' }),
});
