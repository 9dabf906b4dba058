/** Reading a configuration file, with one wording for every way that fails. */
import { readFile } from "node:fs/promises";
import { ConfigError } from "../errors.js";

/**
 * The text of `path`; a missing file gives undefined when `optional`, otherwise every failure is
 * a ConfigError naming the file as `what` ("mapping file", "env file").
 */
export async function readConfigText(path: string, what: string, optional = false): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && optional) return undefined;
    const why = code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a directory" : `cannot be read (${code ?? String(error)})`;
    throw new ConfigError(`${what} ${why}`, { file: path }, { cause: error });
  }
}
