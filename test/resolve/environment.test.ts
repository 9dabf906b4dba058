import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../../src/errors.js";
import { CREDENTIAL_VARIABLES, buildChildEnvironment } from "../../src/resolve/environment.js";

const parent = {
  PATH: "/usr/bin",
  HOME: "/home/u",
  USER: "u",
  LANG: "C.UTF-8",
  TZ: "UTC",
  TERM: "xterm",
  SHELL: "/bin/bash",
  APP_MODE: "parent",
  VAULT_TOKEN: "hvs.parent",
  VAULT_ROLE_ID: "role",
  VAULT_SECRET_ID: "sid",
  AWS_ACCESS_KEY_ID: "AKID",
  AWS_SECRET_ACCESS_KEY: "sak",
  AWS_SESSION_TOKEN: "st",
  VAULT_ADDR: "http://127.0.0.1:8200",
};

describe("the child's environment", () => {
  it("layers envject's environment, then entries in order (later wins)", () => {
    const env = buildChildEnvironment(
      [
        { name: "APP_MODE", value: "env-file" },
        { name: "X", value: "1" },
        { name: "APP_MODE", value: "mapping" },
      ],
      { parent, pristine: false, passCredentials: false },
    );
    assert.equal(env.APP_MODE, "mapping");
    assert.equal(env.X, "1");
    assert.equal(env.SHELL, "/bin/bash");
    assert.equal(env.VAULT_ADDR, "http://127.0.0.1:8200");
  });

  it("removes envject's credentials from what the child inherits", () => {
    const env = buildChildEnvironment([], { parent, pristine: false, passCredentials: false });
    for (const name of CREDENTIAL_VARIABLES) assert.equal(env[name], undefined, name);
  });

  it("keeps credentials the mapping sets explicitly, and all of them with --pass-credentials", () => {
    const explicit = buildChildEnvironment([{ name: "VAULT_TOKEN", value: "hvs.for-child" }], { parent, pristine: false, passCredentials: false });
    assert.equal(explicit.VAULT_TOKEN, "hvs.for-child");
    assert.equal(explicit.AWS_SECRET_ACCESS_KEY, undefined);
    const passed = buildChildEnvironment([], { parent, pristine: false, passCredentials: true });
    for (const name of CREDENTIAL_VARIABLES) assert.equal(passed[name], parent[name], name);
  });

  it("also withholds the variables the mapping's auth settings were expanded from", () => {
    const env = buildChildEnvironment([], { parent: { ...parent, MY_TOKEN: "t" }, pristine: false, passCredentials: false, credentialVariables: ["MY_TOKEN"] });
    assert.equal(env.MY_TOKEN, undefined);
    const passed = buildChildEnvironment([], { parent: { ...parent, MY_TOKEN: "t" }, pristine: false, passCredentials: true, credentialVariables: ["MY_TOKEN"] });
    assert.equal(passed.MY_TOKEN, "t");
  });

  it("a variable named __proto__ is a variable like any other (not the object's prototype)", () => {
    const env = buildChildEnvironment([{ name: "__proto__", value: "x" }], { parent: {}, pristine: false, passCredentials: false });
    assert.deepEqual(Object.keys(env), ["__proto__"]);
    assert.equal(Object.getOwnPropertyDescriptor(env, "__proto__")?.value, "x");
  });

  it("--pristine keeps only PATH, HOME, USER, LANG, TZ, TERM and the mapped variables", () => {
    const env = buildChildEnvironment([{ name: "DB", value: "x" }], { parent, pristine: true, passCredentials: false });
    assert.deepEqual(Object.keys(env).sort(), ["DB", "HOME", "LANG", "PATH", "TERM", "TZ", "USER"]);
  });

  it("rejects a value containing NUL, naming the variable and not the value", () => {
    assert.throws(
      () => buildChildEnvironment([{ name: "TOKEN", value: "abc\0def" }], { parent, pristine: false, passCredentials: false }),
      (e: unknown) => e instanceof ConfigError && /TOKEN/.test(e.message) && !e.message.includes("abc"),
    );
  });
});
