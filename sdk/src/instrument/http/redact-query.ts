// Query parameters that carry credentials have their values replaced by `REDACTED` in
// `url.query` (server spans) and `url.full` (http and fetch client spans): tokens, API keys,
// passwords, session ids, OAuth codes, and the signatures and credentials of signed URLs. A
// trace backend is read by many more people than the service's secrets are meant for.

/**
 * Parameter names redacted, matched case-insensitively against the name as the server decodes
 * it (percent-encoding undone), and against each part of a bracketed name (`user[password]`).
 *
 * Matched anywhere in a name, so that variants are covered (`access_token`, `refreshToken`,
 * `oauth_token`, `client_secret`, `x-api-key`, `X-Amz-Security-Token`, `jsessionid`...):
 * token, secret, password, passwd, api key / access key / private key (with or without `-`,
 * `_` or `.`), signature, credential, session id (`sessionid`, `session_id`, `sessid`),
 * authorization. A pagination `pageToken` is redacted too: an opaque value lost, not a secret
 * kept.
 *
 * Matched as a whole name only, being too short or too common to look for inside others
 * (`keyword`, `encode`, `design`, `author`):
 * - `key`: Google's and many other APIs take their API key as `?key=`; that a generic `key`
 *   (a cache or object key) loses its value in traces costs less than an API key in them;
 * - `code`: the OAuth 2.0 authorization code on a redirect (`/callback?code=...&state=...`) is
 *   a credential until it is exchanged; a country or promo `code` is lost for the same reason;
 * - `sig` (Azure SAS and other signed URLs), `pwd`, `auth`, `session`, `jwt`.
 *
 * Signed URLs: `Signature`, `AWSAccessKeyId`, `X-Amz-Signature`, `X-Amz-Credential`,
 * `X-Amz-Security-Token`, `X-Goog-Signature`, `X-Goog-Credential` are matched by the rules
 * above; `X-Amz-Algorithm`, `-Date`, `-Expires`, `-SignedHeaders` are not secrets and stay, as
 * they tell when and how a link was signed.
 */
const SECRET_NAME =
  /token|secret|passw(?:or)?d|(?:api|access|private)[-_.]?key|signature|credential|sess(?:ion)?[-_.]?id|authorization|(?:^|\[)(?:key|code|sig|pwd|auth|session|jwt)(?:[[\]]|$)/i;

/**
 * A query that matches none of these cannot hold a secret name: it is returned as it is
 * without being split. Every name above contains one of them, and an encoded name a `%`.
 */
const MAYBE_SECRET = /token|secret|passw|key|sig|credential|sess|auth|pwd|code|jwt|%/i;

const PERCENT_ENCODED = /%([0-9a-f]{2})/gi;

/**
 * The name as a server would read it: percent-decoded (byte by byte, so malformed sequences do
 * not throw), again while that changes it, as a double-encoded name would be by some stacks.
 */
function decodedName(raw: string): string {
  let name = raw;
  for (let i = 0; i < 3 && name.includes('%'); i++) {
    const next = name.replace(PERCENT_ENCODED, (_, hex: string) =>
      String.fromCharCode(parseInt(hex, 16)),
    );
    if (next === name) break;
    name = next;
  }
  return name;
}

function isSecretName(raw: string): boolean {
  return SECRET_NAME.test(raw.includes('%') ? decodedName(raw) : raw);
}

/**
 * `a=1&token=abc&token=def` -> `a=1&token=REDACTED&token=REDACTED`; the string itself when
 * nothing is secret. Parameters are separated by `&` or `;` (which some servers also split
 * on); names and separators are kept as they were written.
 */
export function redactQuery(query: string): string {
  if (!MAYBE_SECRET.test(query)) return query;
  let out = '';
  let copied = 0; // query[0, copied) is in `out`
  let start = 0; // where the current parameter starts
  let eq = -1; // its first '=', if any
  for (let i = 0; i <= query.length; i++) {
    const c = i < query.length ? query.charCodeAt(i) : 0x26;
    if (c === 0x3d /* = */) {
      if (eq < 0) eq = i;
    } else if (c === 0x26 /* & */ || c === 0x3b /* ; */) {
      if (eq > start && isSecretName(query.slice(start, eq))) {
        out += `${query.slice(copied, eq + 1)}REDACTED`;
        copied = i;
      }
      start = i + 1;
      eq = -1;
    }
  }
  return copied === 0 ? query : out + query.slice(copied);
}
