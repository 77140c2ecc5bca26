// A run's output folder (--out): created with a clear message when it cannot be, locked against a
// second run writing to it at the same time, and cleared of .tmp files left by a killed save.
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DataError } from '../errors.js';

/** The lock file inside the output folder; it holds the pid of the run that writes there. */
export const LOCK_FILE = '.nabla.lock';

/** The names of the temporary files of an atomic save (src/node/io.ts): `.<name>.<pid>.<hex>.tmp`. */
const TMP_NAME = /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/;

/** Whether a process with this pid is running (EPERM: it runs, as another user). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file of that name exists',
  ENOSPC: 'no space left on the device',
  ENOENT: 'the file system refuses to create it',
};

function cannot(dir: string, what: string, e: unknown): DataError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const reason = REASONS[code] ?? (e as Error).message;
  return new DataError(
    `--out ${dir}: cannot ${what} (${reason}); give --out a folder you can write to`,
  );
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdirSync spins forever where the file system
 * answers ENOENT for a folder whose parent exists (under /proc, for one).
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  let d = resolve(dir);
  while (!existsSync(d)) {
    missing.push(d);
    const parent = dirname(d);
    if (parent === d) break;
    d = parent;
  }
  for (const m of missing.reverse()) mkdirSync(m);
}

export interface OutDir {
  /** The leftover .tmp files that were removed. */
  readonly removed: readonly string[];
  /** Whether a stale lock (of a process that no longer runs) was taken over, and its pid. */
  readonly staleLockOf: number | undefined;
  /** Removes the lock (idempotent); also done when the process exits. */
  release(): void;
}

/**
 * Creates `dir` if need be and takes its lock: a second live run on the same folder is refused,
 * a lock left by a dead process is taken over. Then removes .tmp files of saves that were killed.
 */
export function claimOutDir(dir: string): OutDir {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
    if (!isDir)
      throw new DataError(`--out ${dir}: this is a file, not a folder; give --out a folder path`);
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw cannot(dir, 'use the folder', e);
  }
  if (!isDir) {
    try {
      makeDirs(dir);
    } catch (e) {
      throw cannot(dir, 'create the folder', e);
    }
  }

  const lock = join(dir, LOCK_FILE);
  let staleLockOf: number | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw cannot(dir, 'write to it', e);
    }
    let pid = NaN;
    try {
      pid = Number.parseInt(readFileSync(lock, 'utf8').trim(), 10);
    } catch {
      // Removed between our two calls: try again.
    }
    if (pidAlive(pid) && pid !== process.pid) {
      throw new DataError(
        `--out ${dir} is in use by another nabla run (pid ${pid}, lock file ${lock}); ` +
          'wait for it to finish, or give another --out',
      );
    }
    if (attempt >= 3)
      throw new DataError(`--out ${dir}: cannot take the lock ${lock}; give another --out`);
    if (Number.isFinite(pid)) staleLockOf = pid;
    rmSync(lock, { force: true });
  }

  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      if (readFileSync(lock, 'utf8').trim() === String(process.pid)) rmSync(lock, { force: true });
    } catch {
      // Already gone.
    }
  };
  process.on('exit', release);

  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = TMP_NAME.exec(name);
    if (m === null || pidAlive(Number(m[1]))) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return { removed, staleLockOf, release };
}
