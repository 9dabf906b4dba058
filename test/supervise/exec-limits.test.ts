/**
 * execve's limits as envject counts them (src/supervise/exec-limits.ts): one environment string
 * of at most 131072 bytes with its NUL, and argv + envp (strings, NULs, pointers) within the
 * argument space, a quarter of the stack limit capped at 2 MiB — checked against the kernel itself.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import {
  ARGUMENT_SPACE_HEADROOM_BYTES,
  DEFAULT_ARGUMENT_SPACE_BYTES,
  MAX_ENV_STRING_BYTES,
  argumentLimitBytes,
  argumentSpaceFrom,
  envStringBytes,
  execBytes,
} from "../../src/supervise/exec-limits.js";

const LIMITS = (stack: string) =>
  `Limit                     Soft Limit           Hard Limit           Units     \nMax cpu time              unlimited            unlimited            seconds   \nMax stack size            ${stack}              unlimited            bytes     \n`;

describe("exec limits", () => {
  it("an environment string is NAME=value and its NUL, in UTF-8 bytes", () => {
    assert.equal(envStringBytes("A", "xyz"), 6);
    assert.equal(envStringBytes("É", "é"), 6);
    assert.equal(MAX_ENV_STRING_BYTES, 131072);
  });

  it("argv and envp count their strings, NULs and pointers (NULL ends included)", () => {
    assert.equal(execBytes({ A: "1" }, ["app", "-x"]), 4 + 4 + 3 + (3 + 2) * 8);
    assert.equal(execBytes({}, []), 16);
  });

  it("the argument space is a quarter of the stack's soft limit, at least 128 KiB, at most 2 MiB", () => {
    assert.equal(argumentSpaceFrom(LIMITS("8388608")), 2 * 1024 * 1024);
    assert.equal(argumentSpaceFrom(LIMITS("4194304")), 1024 * 1024);
    assert.equal(argumentSpaceFrom(LIMITS("65536")), 131072, "never below 32 pages, as Linux");
    assert.equal(argumentSpaceFrom(LIMITS("67108864")), DEFAULT_ARGUMENT_SPACE_BYTES, "capped: conservative");
    assert.equal(argumentSpaceFrom(LIMITS("unlimited")), DEFAULT_ARGUMENT_SPACE_BYTES);
    assert.equal(argumentSpaceFrom("garbage"), DEFAULT_ARGUMENT_SPACE_BYTES);
    assert.equal(argumentSpaceFrom(undefined), DEFAULT_ARGUMENT_SPACE_BYTES);
  });

  it("the limit in use is this process's argument space less the headroom, and never more than getconf ARG_MAX says", () => {
    const limit = argumentLimitBytes();
    assert.ok(limit <= DEFAULT_ARGUMENT_SPACE_BYTES - ARGUMENT_SPACE_HEADROOM_BYTES);
    const getconf = spawnSync("getconf", ["ARG_MAX"], { encoding: "utf8" });
    if (getconf.status === 0) assert.ok(limit < Number(getconf.stdout.trim()), `${limit} < ARG_MAX ${getconf.stdout}`);
    assert.equal(argumentLimitBytes(), limit, "read once");
  });

  it("agrees with the kernel: the largest string envject allows starts, one byte more is E2BIG", { skip: process.platform !== "linux" }, () => {
    const run = (bytes: number) => spawnSync("/bin/true", [], { env: { V: "x".repeat(bytes - 3) } });
    assert.equal(envStringBytes("V", "x".repeat(MAX_ENV_STRING_BYTES - 3)), MAX_ENV_STRING_BYTES);
    assert.equal(run(MAX_ENV_STRING_BYTES).status, 0, String(run(MAX_ENV_STRING_BYTES).error));
    const refused: NodeJS.ErrnoException | undefined = run(MAX_ENV_STRING_BYTES + 1).error;
    assert.equal(refused?.code, "E2BIG");
  });

  it("agrees with the kernel: an environment within the limit starts (many strings, each small)", { skip: process.platform !== "linux" }, () => {
    const limit = argumentLimitBytes();
    const env: Record<string, string> = {};
    const value = "v".repeat(100_000);
    for (let i = 0; execBytes(env, ["/bin/true"]) + 100_010 < limit; i++) env[`V${i}`] = value;
    assert.ok(execBytes(env, ["/bin/true"]) > limit - 200_000);
    const ok = spawnSync("/bin/true", [], { env });
    assert.equal(ok.status, 0, String(ok.error));
  });
});
