// Secrets generated at first start and kept as files, so nothing secret has a default and nothing
// secret sits in an environment variable: the demo (`npm run demo`) and compose (the `secrets`
// one-shot, into a volume) both create any that are missing and keep the ones that exist.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** 256 random bits, URL-safe (they go into connection URLs too). */
export const randomSecret = () => randomBytes(32).toString('base64url');

export interface SecretFile {
  name: string;
  /** Makes the content from the secrets made before it (derived files) or from nothing. */
  make: (made: Record<string, string>) => string;
}

export interface EnsureResult {
  values: Record<string, string>;
  created: string[];
}

/**
 * Creates the missing files of `files` in `dir` (in order, so a derived file sees the secret it
 * derives from) and reads the others. `wx` makes a concurrent second generator lose cleanly.
 */
export function ensureSecretFiles(
  dir: string,
  files: SecretFile[],
  mode: number,
  dirMode = 0o700,
): EnsureResult {
  mkdirSync(dir, { recursive: true, mode: dirMode });
  const values: Record<string, string> = {};
  const created: string[] = [];
  for (const file of files) {
    const path = join(dir, file.name);
    const content = file.make(values);
    try {
      writeFileSync(path, content, { flag: 'wx', mode });
      created.push(file.name);
      values[file.name] = content;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      values[file.name] = readFileSync(path, 'utf8');
    }
  }
  return { values, created };
}
