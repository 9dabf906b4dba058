/**
 * Reading a configuration file, with one wording for every way that fails. The file is bounded
 * (CONFIG_FILE_LIMIT) before it is read and must be UTF-8 text without NUL bytes: anything else is
 * a ConfigError naming the file (and the line, where there is one), never a silent repair.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { ConfigError } from "../errors.js";

/** The largest mapping or .env file envject reads (8 MiB, some 200,000 entries). A file this size
 *  already costs a few hundred MB to parse; a bigger one is a mistake, not a configuration. */
export const CONFIG_FILE_LIMIT = 8 * 1024 * 1024;

/**
 * The text of `path`; a missing file gives undefined when `optional`, otherwise every failure is
 * a ConfigError naming the file as `what` ("mapping file", "env file"): missing, a directory,
 * unreadable, over CONFIG_FILE_LIMIT, not UTF-8, or holding a NUL byte.
 */
export async function readConfigText(path: string, what: string, optional = false): Promise<string | undefined> {
  // A regular file is read at once, synchronously: a file's read does not wait on anyone, and a
  // start then needs no node:fs/promises. Anything else (a pipe, `-e <(…)`, a FIFO whose writer
  // has not come yet) is read as it comes, so that a signal is still handled while envject waits.
  try {
    const bytes = readRegularFile(path, what);
    if (bytes !== undefined) return decodeConfigText(bytes, path, what);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && optional) return undefined;
    throw unreadable(path, what, error);
  }
  let handle: FileHandle;
  try {
    handle = await process.getBuiltinModule("node:fs/promises").open(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && optional) return undefined;
    throw unreadable(path, what, error);
  }
  try {
    return decodeConfigText(await readBounded(handle, path, what), path, what);
  } finally {
    await handle.close();
  }
}

/** The bytes of `path` when it is a regular file (bounded as readBounded does), else undefined. Throws what stat, open or read throw. */
function readRegularFile(path: string, what: string): Buffer | undefined {
  if (!statSync(path).isFile()) return undefined;
  const fd = openSync(path, "r");
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return undefined; // replaced since the stat: read it the other way
    if (stat.size > CONFIG_FILE_LIMIT) throw tooBig(path, what, stat.size);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(stat.size + 1, 4096), 64 * 1024));
      const bytesRead = readSync(fd, chunk, 0, chunk.length, null);
      if (bytesRead === 0) return Buffer.concat(chunks, total);
      total += bytesRead;
      if (total > CONFIG_FILE_LIMIT) throw tooBig(path, what);
      chunks.push(chunk.subarray(0, bytesRead));
    }
  } finally {
    closeSync(fd);
  }
}

function tooBig(path: string, what: string, size?: number): ConfigError {
  return new ConfigError(`${what} is larger than ${mebibytes(CONFIG_FILE_LIMIT)}, the most envject reads${size === undefined ? "" : ` (it has ${mebibytes(size)})`}`, { file: path });
}

/** The file's bytes, refused before they are read when stat gives a size over the limit, and
 *  while they are read when it does not know one (a pipe, `-e <(…)`) or the file grows. */
async function readBounded(handle: FileHandle, path: string, what: string): Promise<Buffer> {
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    if (stat.size > CONFIG_FILE_LIMIT) throw tooBig(path, what, stat.size);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) return Buffer.concat(chunks, total);
      total += bytesRead;
      if (total > CONFIG_FILE_LIMIT) throw tooBig(path, what);
      chunks.push(chunk.subarray(0, bytesRead));
    }
  } catch (error) {
    throw error instanceof ConfigError ? error : unreadable(path, what, error);
  }
}

/**
 * `bytes` as text. Invalid UTF-8 would otherwise become U+FFFD in a value without a word, and a NUL
 * (a binary or UTF-16 file, mostly) cut a value short in the environment: both are ConfigErrors at
 * the line of the first offending byte. A UTF-8 byte-order mark is dropped.
 */
export function decodeConfigText(bytes: Uint8Array, path: string, what: string): string {
  // A NUL byte is a NUL character in UTF-8 and in nothing else, so it is found on the bytes.
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new ConfigError(`${what} contains a NUL byte, which no text configuration holds (is it binary, or UTF-16?)`, { file: path, line: lineOfByte(bytes, nul) });
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    const at = firstInvalidUtf8Byte(bytes);
    throw new ConfigError(`${what} is not UTF-8 text (byte ${at + 1} is not valid UTF-8); save it as UTF-8`, { file: path, line: lineOfByte(bytes, at) }, { cause: error });
  }
}

/** The offset where `bytes` (which does not decode) stops being UTF-8: the first byte of the
 *  first character that is invalid or cut short. */
function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  // In streaming mode only definitely invalid bytes fail (a cut-off last character is pending),
  // so a prefix that decodes stays decodable when shortened: the shortest failing one ends there.
  const decodes = (length: number) => {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, length), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let failsAt = bytes.length; // when everything decodes but the end, which stops inside a character
  if (!decodes(bytes.length)) {
    let lo = 0; // decodes(lo)
    let hi = bytes.length; // !decodes(hi)
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (decodes(mid)) lo = mid;
      else hi = mid;
    }
    failsAt = hi - 1;
  }
  // The byte that fails may end a character begun before it (`caf\xE9` then a newline): point at its start.
  for (let j = failsAt - 1; j >= 0 && j >= failsAt - 3; j--) {
    const b = bytes[j]!;
    if ((b & 0xc0) === 0x80) continue;
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return failsAt - j < length ? j : failsAt;
  }
  return failsAt;
}

/** The 1-based line of byte `offset`. */
function lineOfByte(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(0x0a); i >= 0 && i < offset; i = bytes.indexOf(0x0a, i + 1)) line++;
  return line;
}

function mebibytes(bytes: number): string {
  return `${Number((bytes / 1024 / 1024).toFixed(1))} MiB`;
}

function unreadable(path: string, what: string, error: unknown): ConfigError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a directory" : `cannot be read (${code ?? String(error)})`;
  return new ConfigError(`${what} ${why}`, { file: path }, { cause: error });
}
