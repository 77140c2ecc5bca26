// Downloading dataset files (Node only): mirrors tried in order, MD5-verified, written atomically.
import { defineOptions } from '../../options.js';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DataError } from '../../errors.js';

const DOWNLOAD_FILE = defineOptions<DownloadOptions>('data.downloadFile', {
  timeoutMs: 'number',
  onAttempt: 'function',
});

export interface DownloadOptions {
  /** Abort a request after this many milliseconds (default 60 000). */
  readonly timeoutMs?: number;
  /** Called once per attempt, e.g. to log progress. */
  readonly onAttempt?: (url: string) => void;
}

/** The hex MD5 digest of some bytes (what torchvision's checksums are). */
export function md5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** Whether `path` exists and, when `md5` is given, has that checksum. */
export function checkIntegrity(path: string, md5?: string): boolean {
  if (!existsSync(path)) return false;
  if (md5 === undefined) return true;
  return md5Hex(readFileSync(path)) === md5.toLowerCase();
}

/** GETs a URL, as bytes; an HTTP error status or a network failure is a DataError. */
async function get(url: string, timeoutMs: number): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (e) {
    const err = e as Error & { cause?: { message?: string } };
    const why = err.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : err.message;
    const cause = err.cause?.message ? ` (${err.cause.message})` : '';
    throw new DataError(`network error: ${why}${cause}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new DataError(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  }
  try {
    return new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    throw new DataError(`network error while reading the body: ${(e as Error).message}`);
  }
}

/**
 * Downloads `filename` from the first mirror that serves it with the right MD5 into `dir`. The file
 * is written under a temporary name and renamed into place, so `dir` never holds a partial or
 * unverified file. When every mirror fails, the DataError lists each mirror's failure (HTTP status,
 * network error or checksum mismatch).
 */
export async function downloadFile(
  mirrors: readonly string[],
  filename: string,
  dir: string,
  md5: string | undefined,
  opts: DownloadOptions = {},
): Promise<string> {
  DOWNLOAD_FILE.checkGiven(opts);
  if (mirrors.length === 0) throw new DataError(`cannot download ${filename}: no mirrors given`);
  const dest = join(dir, filename);
  const failures: string[] = [];
  for (const mirror of mirrors) {
    const url = mirror.endsWith('/') ? mirror + filename : `${mirror}/${filename}`;
    opts.onAttempt?.(url);
    let bytes: Uint8Array;
    try {
      bytes = await get(url, opts.timeoutMs ?? 60_000);
    } catch (e) {
      failures.push(`${url}: ${(e as Error).message}`);
      continue;
    }
    const digest = md5Hex(bytes);
    if (md5 !== undefined && digest !== md5.toLowerCase()) {
      failures.push(`${url}: MD5 checksum mismatch (expected ${md5.toLowerCase()}, got ${digest})`);
      continue;
    }
    writeAtomic(dest, bytes);
    return dest;
  }
  throw new DataError(`could not download ${filename}:\n  ${failures.join('\n  ')}`);
}

/** Writes a file through a temporary sibling and a rename, so readers never see it half written. */
export function writeAtomic(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now().toString(36)}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
