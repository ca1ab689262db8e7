// Text a request may carry into storage. PostgreSQL refuses NUL in text and jsonb, and a lone
// UTF-16 surrogate would be stored as U+FFFD (silently changed): both are refused up front with a
// 400 that names the field, instead of a 500 (or a changed value) from the database.
import { z } from 'zod';

// eslint-disable-next-line no-control-regex -- control characters are what this refuses
const UNSTORABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|\p{Cs}/u;

/** A string without control characters (tab, newline and carriage return allowed). */
export const text = () =>
  z.string().refine((v) => !UNSTORABLE.test(v), {
    message: 'must not contain NUL, control characters or unpaired surrogates',
  });
