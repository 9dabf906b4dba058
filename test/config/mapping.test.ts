import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ConfigError } from "../../src/errors.js";
import { defaultMountFor, loadMapping } from "../../src/config/mapping.js";
import type { Mapping } from "../../src/config/model.js";

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function fixture(name: string, content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "envject-mapping-"));
  dirs.push(dir);
  const path = join(dir, name);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  return path;
}

/** 1-based line and column of the `nth` occurrence of `needle` in `text`. */
function where(text: string, needle: string, nth = 0): { line: number; column: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    assert.ok(at >= 0, `fixture has no ${needle} #${nth}`);
  }
  const before = text.slice(0, at);
  return { line: before.split("\n").length, column: at - before.lastIndexOf("\n") };
}

const environ = { VAULT_ROLE_ID: "role-from-env", VAULT_SECRET_ID: "secret-from-env" };

async function load(content: string, name = "envject.yaml", env: NodeJS.ProcessEnv = environ): Promise<Mapping> {
  return loadMapping(await fixture(name, content), { environ: env, explicit: true });
}

/** Loads `content`, expects a ConfigError (exit 65) and returns it for further checks. */
async function loadError(content: string, name = "envject.yaml", env: NodeJS.ProcessEnv = environ): Promise<ConfigError> {
  const path = await fixture(name, content);
  try {
    await loadMapping(path, { environ: env, explicit: true });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.equal(error.exitCode, 65);
    assert.equal(error.location?.file, path);
    return error;
  }
  assert.fail("expected a ConfigError");
}

/** The error points at `needle` (its nth occurrence) and names `key`. */
function assertAt(error: ConfigError, content: string, needle: string, key: string | undefined, nth = 0): void {
  const pos = where(content, needle, nth);
  assert.deepEqual({ line: error.location?.line, column: error.location?.column, key: error.location?.key }, { line: pos.line, column: pos.column, key }, error.message);
  assert.ok(error.message.includes(`:${pos.line}:${pos.column}`), error.message);
}

const PRODUCT_EXAMPLE = `vault:
  address: https://vault.example.com:8200
  namespace: admin
  auth:
    method: approle
    role_id: \${VAULT_ROLE_ID}
    secret_id: \${VAULT_SECRET_ID}
  mount: secret
  ca_cert: /etc/ssl/vault-ca.pem
aws:
  region: eu-west-1
env:
  DB_PASSWORD: vault://secret/myapp/db#password
  DB_USER: "{{ vault_secret_var('myapp/db', 'username') }}"
  STRIPE_KEY: aws-sm://prod/stripe#api_key
  LEGACY_TOKEN: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/legacy-AbCdEf
  DATABASE_URL: "postgres://{{ vault('secret/myapp/db#username') }}:{{ vault('secret/myapp/db#password') }}@db:5432/app"
  PORT: "8080"
expand:
  - from: vault://secret/myapp/config
    prefix: APP_
files:
  TLS_KEY_FILE: vault://secret/myapp/tls#key
`;

describe("mapping file: the example of docs/contract/mapping.md#an-example", () => {
  /** The example, loaded from its own file. */
  const loadExample = async () => {
    const path = await fixture("envject.yaml", PRODUCT_EXAMPLE);
    return { path, m: await loadMapping(path, { environ, explicit: true }) };
  };

  it("loads the vault section (address with its place, namespace, mount, CA, auth with settings from the environment) and the aws region", async () => {
    const { path, m } = await loadExample();
    assert.equal(m.file, path);
    assert.equal(m.vault.address?.value, "https://vault.example.com:8200");
    assert.deepEqual(m.vault.address?.origin, { file: path, ...where(PRODUCT_EXAMPLE, "https://vault"), key: "vault.address" });
    assert.equal(m.vault.namespace?.value, "admin");
    assert.equal(m.vault.mount?.value, "secret");
    assert.equal(m.vault.caCert?.value, "/etc/ssl/vault-ca.pem");
    assert.equal(m.vault.auth?.method?.value, "approle");
    assert.equal(m.vault.auth?.settings.role_id?.value, "role-from-env");
    assert.equal(m.vault.auth?.settings.secret_id?.value, "secret-from-env");
    assert.equal(m.vault.auth?.settings.secret_id?.origin.key, "vault.auth.secret_id");
    assert.equal(m.aws.region?.value, "eu-west-1");
  });

  it("loads env: every binding in order, of its kind, with the place each was written", async () => {
    const { path, m } = await loadExample();
    assert.deepEqual(
      m.env.map((b) => [b.name, b.spec.kind]),
      [
        ["DB_PASSWORD", "ref"],
        ["DB_USER", "template"],
        ["STRIPE_KEY", "ref"],
        ["LEGACY_TOKEN", "ref"],
        ["DATABASE_URL", "template"],
        ["PORT", "literal"],
      ],
    );
    const db = m.env[0]!;
    assert.deepEqual(db.origin, { file: path, ...where(PRODUCT_EXAMPLE, "vault://secret/myapp/db#password"), key: "env.DB_PASSWORD" });
    assert.equal(db.spec.kind === "ref" && db.spec.ref.raw, "vault://secret/myapp/db#password");
    assert.deepEqual(m.env[5]!.spec, { kind: "literal", value: "8080" });
  });

  it("loads expand: and files: with the place each was written", async () => {
    const { path, m } = await loadExample();
    assert.equal(m.expand.length, 1);
    assert.equal(m.expand[0]!.prefix, "APP_");
    assert.equal(m.expand[0]!.ref.raw, "vault://secret/myapp/config");
    assert.deepEqual(m.expand[0]!.origin, { file: path, ...where(PRODUCT_EXAMPLE, "vault://secret/myapp/config"), key: "expand[0].from" });
    assert.deepEqual(
      m.files.map((b) => [b.name, b.spec.kind, b.origin.key]),
      [["TLS_KEY_FILE", "ref", "files.TLS_KEY_FILE"]],
    );
  });

  it("vault_secret_var() paths use the configured mount", async () => {
    const m = await load(`vault:\n  mount: kv\nenv:\n  U: "{{ vault_secret_var('app/db', 'user') }}"\n`);
    const spec = m.env[0]!.spec;
    assert.equal(spec.kind, "template");
    const part = spec.kind === "template" ? spec.parts.find((p) => p.kind === "ref") : undefined;
    assert.ok(part && part.kind === "ref" && part.ref.provider === "vault");
    assert.equal(part.ref.path, "kv/app/db");
  });
});

describe("mapping file: missing and empty files", () => {
  it("a missing default envject.yaml is an empty mapping without a file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "envject-mapping-"));
    dirs.push(dir);
    const m = await loadMapping(join(dir, "envject.yaml"), { environ, explicit: false });
    assert.deepEqual(m, { file: undefined, vault: {}, aws: {}, env: [], expand: [], files: [] });
  });

  it("a missing file given with -c is a ConfigError naming it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "envject-mapping-"));
    dirs.push(dir);
    const path = join(dir, "nope.yaml");
    await assert.rejects(loadMapping(path, { environ, explicit: true }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.location?.file, path);
      assert.match(e.message, /does not exist/);
      return true;
    });
  });

  it("a directory is a ConfigError even for the default lookup", async () => {
    const dir = await mkdtemp(join(tmpdir(), "envject-mapping-"));
    dirs.push(dir);
    await mkdir(join(dir, "envject.yaml"));
    await assert.rejects(loadMapping(join(dir, "envject.yaml"), { environ, explicit: false }), ConfigError);
  });

  const empties: Array<[string, string]> = [
    ["an empty file", ""],
    ["only comments", "# nothing yet\n  # still nothing\n"],
    ["a bare document marker", "---\n"],
  ];
  for (const [what, content] of empties) {
    it(`${what} is an empty mapping`, async () => {
      const path = await fixture("envject.yaml", content);
      const m = await loadMapping(path, { environ, explicit: true });
      assert.deepEqual(m, { file: path, vault: {}, aws: {}, env: [], expand: [], files: [] });
    });
  }

  it("sections written empty (every line commented out) are empty", async () => {
    const m = await load("vault:\naws:\nenv:\nexpand:\nfiles:\n");
    assert.deepEqual([m.vault, m.aws, m.env, m.expand, m.files], [{}, {}, [], [], []]);
  });
});

describe("mapping file: shape errors carry file:line:column and key", () => {
  it("the top level must be a mapping", async () => {
    for (const content of ["- a\n- b\n", "just text\n", "42\n"]) {
      const e = await loadError(content);
      assert.match(e.message, /expected a mapping/);
      assert.equal(e.location?.line, 1);
      assert.equal(e.location?.column, 1);
    }
  });

  it("an unknown top-level key is named with the expected ones", async () => {
    const content = "env:\n  A: b\nenviroment:\n  B: c\n";
    const e = await loadError(content);
    assert.match(e.message, /unknown key 'enviroment'; expected one of vault, aws, env, expand, files/);
    assertAt(e, content, "enviroment", "enviroment");
  });

  it("an unknown key one letter off, or differing only in case, says which key was meant", async () => {
    const cases: Array<[string, string, string]> = [
      ["enviroment:\n  A: b\n", "enviroment", "env"],
      ["evn:\n  A: b\n", "evn", "env"],
      ["file:\n  A: b\n", "file", "files"],
      ["Env:\n  A: b\n", "Env", "env"],
      ["vault:\n  Address: http://x\n", "Address", "address"],
      ["vault:\n  auth:\n    metod: token\n", "metod", "method"],
    ];
    for (const [content, key, meant] of cases) {
      const e = await loadError(content);
      assert.match(e.message, new RegExp(`unknown key '${key}'; expected one of [^;]+; did you mean '${meant}'\\?$`), content);
      assert.equal(e.location?.line, content.split("\n").findIndex((l) => l.trimStart().startsWith(`${key}:`)) + 1, content);
    }
  });

  it("a vault.auth.method one letter off says which method was meant", async () => {
    const e = await loadError("vault:\n  auth:\n    method: aprole\n");
    assert.match(e.message, /expected one of token, approle, kubernetes, jwt, aws, cert, token_file, none; did you mean 'approle'\?/);
  });

  const unknownInside: Array<[string, string, string, RegExp]> = [
    ["vault", "vault:\n  adress: http://x\n", "vault.adress", /expected one of address, namespace, mount, ca_cert, auth/],
    ["vault.auth", "vault:\n  auth:\n    role-id: x\n", "vault.auth.role-id", /expected one of method, path, token, role_id, secret_id, role, token_file, jwt, audience/],
    ["aws", "aws:\n  regoin: eu-west-1\n", "aws.regoin", /expected one of region/],
    ["an expand entry", "expand:\n  - from: vault://secret/a\n    prefx: A_\n", "expand[0].prefx", /expected one of from, prefix/],
  ];
  for (const [where_, content, key, expected] of unknownInside) {
    it(`an unknown key inside ${where_} is named at its place`, async () => {
      const e = await loadError(content);
      assert.match(e.message, expected);
      assertAt(e, content, key.split(/[.\]]/).at(-1)!, key);
    });
  }

  it("a number for vault.address is an error at the value", async () => {
    const content = "vault:\n  address: 8200\n";
    const e = await loadError(content);
    assert.match(e.message, /expected a string, got a number/);
    assertAt(e, content, "8200", "vault.address");
  });

  it("vault.address must be an http(s) URL", async () => {
    for (const bad of ["vault.example.com", "ftp://vault.example.com", '""']) {
      const content = `vault:\n  address: ${bad}\n`;
      const e = await loadError(content);
      assert.match(e.message, /http:\/\/ or https:\/\/ URL/);
      assertAt(e, content, bad, "vault.address");
    }
  });

  it("vault.auth.method must be one of the login methods", async () => {
    const content = "vault:\n  auth:\n    method: userpass\n";
    const e = await loadError(content);
    assert.match(e.message, /expected one of token, approle/);
    assertAt(e, content, "userpass", "vault.auth.method");
  });

  it("a section of the wrong type is an error at that section", async () => {
    const content = "vault: https://vault.example.com\n";
    const e = await loadError(content);
    assert.match(e.message, /expected a mapping, got a string/);
    assertAt(e, content, "https", "vault");
  });

  it("reports the problem written first in the file", async () => {
    const content = "env:\n  A: b\n  bad-name: c\nvault:\n  adress: x\n";
    const e = await loadError(content);
    assertAt(e, content, "bad-name", "env.bad-name");
  });
});

describe("mapping file: ${NAME} in vault: and aws: settings", () => {
  it("expands from envject's environment, with defaults and $${ as a literal ${", async () => {
    const content = [
      "vault:",
      "  address: ${VAULT_ADDR_FOR_TEST}",
      "  namespace: ${UNSET_NS:-team-a}",
      "  mount: kv$${x}",
      "  auth:",
      "    token: ${TOKEN_FOR_TEST}",
      "aws:",
      "  region: ${REGION_FOR_TEST:-eu-west-1}",
      "",
    ].join("\n");
    const m = await load(content, "envject.yaml", { VAULT_ADDR_FOR_TEST: "http://127.0.0.1:8200", TOKEN_FOR_TEST: "t0k" });
    assert.equal(m.vault.address?.value, "http://127.0.0.1:8200");
    assert.equal(m.vault.namespace?.value, "team-a");
    assert.equal(m.vault.mount?.value, "kv${x}");
    assert.equal(m.vault.auth?.settings.token?.value, "t0k");
    assert.equal(m.aws.region?.value, "eu-west-1");
    // Only the credentials' variables are envject's secrets to withhold from the child.
    assert.deepEqual(m.vault.credentialVariables, ["TOKEN_FOR_TEST"]);
  });

  it("lists the variables role_id and secret_id were expanded from as credential variables", async () => {
    const content = "vault:\n  auth:\n    role_id: ${MY_ROLE}\n    secret_id: pre-${MY_SECRET:-x}\n";
    const m = await load(content, "envject.yaml", { MY_ROLE: "r", MY_SECRET: "s" });
    assert.deepEqual(m.vault.credentialVariables, ["MY_ROLE", "MY_SECRET"]);
    const none = await load("vault:\n  auth:\n    role_id: literal-role\n", "envject.yaml", {});
    assert.equal(none.vault.credentialVariables, undefined);
  });

  it("an unset ${NAME} without default names the variable and the key's place", async () => {
    const content = "vault:\n  auth:\n    secret_id: ${NOT_SET_ANYWHERE}\n";
    const e = await loadError(content, "envject.yaml", {});
    assert.match(e.message, /NOT_SET_ANYWHERE is not set/);
    assertAt(e, content, "${NOT_SET_ANYWHERE}", "vault.auth.secret_id");
  });

  it("the address is checked after expansion", async () => {
    const content = "vault:\n  address: ${ADDR}\n";
    const e = await loadError(content, "envject.yaml", { ADDR: "not a url" });
    assertAt(e, content, "${ADDR}", "vault.address");
    assert.ok(!e.message.includes("not a url"));
  });

  it("env values are never expanded", async () => {
    const m = await load("env:\n  A: ${HOME}\n  B: x${VAULT_ROLE_ID:-y}\n");
    assert.deepEqual(
      m.env.map((b) => b.spec),
      [
        { kind: "literal", value: "${HOME}" },
        { kind: "literal", value: "x${VAULT_ROLE_ID:-y}" },
      ],
    );
  });

  it("a relative ca_cert is resolved against the mapping file's directory", async () => {
    const path = await fixture("conf/envject.yaml", "vault:\n  ca_cert: certs/ca.pem\n");
    const m = await loadMapping(path, { environ, explicit: true });
    assert.equal(m.vault.caCert?.value, join(dirname(path), "certs/ca.pem"));
  });
});

describe("mapping file: env and files values", () => {
  it("numbers and booleans are kept as written", async () => {
    const content = "env:\n  PORT: 8080\n  RATIO: 1.10\n  MASK: 0x1F\n  OCT: 0o17\n  ON: true\n  YES: yes\n  CAP: True\n  BIG: 12345678901234567890\n  INF: .inf\n";
    const m = await load(content);
    const values = Object.fromEntries(m.env.map((b) => [b.name, b.spec.kind === "literal" ? b.spec.value : b.spec.kind]));
    assert.deepEqual(values, {
      PORT: "8080",
      RATIO: "1.10",
      MASK: "0x1F",
      OCT: "0o17",
      ON: "true",
      YES: "yes",
      CAP: "True",
      BIG: "12345678901234567890",
      INF: ".inf",
    });
  });

  it("a value through an alias keeps its anchor's spelling", async () => {
    const m = await load("env:\n  A: &v 1.10\n  B: *v\n");
    assert.deepEqual(
      m.env.map((b) => b.spec),
      [
        { kind: "literal", value: "1.10" },
        { kind: "literal", value: "1.10" },
      ],
    );
  });

  it("literal: keeps a reference-looking value as text", async () => {
    const m = await load("env:\n  ARN: literal:arn:aws:secretsmanager:eu-west-1:123456789012:secret:x\n");
    assert.deepEqual(m.env[0]!.spec, { kind: "literal", value: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x" });
  });

  it("a NUL character in a value is an error", async () => {
    const content = 'env:\n  A: ok\n  B: "x\\0y"\n';
    const e = await loadError(content);
    assert.match(e.message, /NUL/);
    assertAt(e, content, '"x', "env.B");
  });

  it("names such as constructor and prototype are kept", async () => {
    const m = await load("env:\n  constructor: a\n  prototype: b\n  toString: c\n");
    assert.deepEqual(
      m.env.map((b) => b.name),
      ["constructor", "prototype", "toString"],
    );
  });

  it('a key without a value is an error asking for ""', async () => {
    const content = "env:\n  A: x\n  EMPTY:\n";
    const e = await loadError(content);
    assert.match(e.message, /no value; write "" for an empty string/);
    assert.equal(e.location?.key, "env.EMPTY");
    assert.equal(e.location?.line, where(content, "EMPTY").line);
  });

  it("an invalid variable name is an error at the key", async () => {
    for (const name of ["MY-VAR", "1ST", "a.b", '"has space"']) {
      const content = `env:\n  OK: x\n  ${name}: y\n`;
      const e = await loadError(content);
      assert.match(e.message, /invalid variable name/);
      assertAt(e, content, name, `env.${name.replace(/"/g, "")}`);
    }
  });

  it("a list or mapping value is an error that does not show the value", async () => {
    const content = "files:\n  TLS:\n    nested: hunter2-pasted-secret\n";
    const e = await loadError(content);
    assert.match(e.message, /expected a string, number or boolean, got a mapping/);
    assert.ok(!e.message.includes("hunter2"), e.message);
    assertAt(e, content, "nested", "files.TLS");
  });

  it("a malformed reference is located at its value", async () => {
    const content = "env:\n  A: x\n  DB_PASSWORD: vault://\n";
    const e = await loadError(content);
    assertAt(e, content, "vault://", "env.DB_PASSWORD");
    assert.match(e.message, /vault:\/\//);
  });

  it("an unknown template function is located at its value", async () => {
    const content = "files:\n  KEY: \"{{ nope('x') }}\"\n";
    const e = await loadError(content);
    assertAt(e, content, '"{{', "files.KEY");
    assert.match(e.message, /nope/);
  });

  it("a name in both env and files is an error at the files entry", async () => {
    const content = "env:\n  TLS_KEY: vault://secret/a#k\nfiles:\n  TLS_KEY: vault://secret/a#k\n";
    const e = await loadError(content);
    assert.match(e.message, /both env and files/);
    assertAt(e, content, "TLS_KEY", "files.TLS_KEY", 1);
  });
});

describe("mapping file: expand", () => {
  it("from must be a reference", async () => {
    for (const from of ["plain-text", "\"{{ vault('secret/a') }}\"", "literal:vault://secret/a"]) {
      const content = `expand:\n  - from: ${from}\n`;
      const e = await loadError(content);
      assert.match(e.message, /must be a reference/);
      assertAt(e, content, from, "expand[0].from");
    }
  });

  it("a missing from is an error at the entry", async () => {
    const content = "expand:\n  - from: vault://secret/a\n  - prefix: B_\n";
    const e = await loadError(content);
    assert.match(e.message, /missing required key 'from'/);
    assertAt(e, content, "prefix", "expand[1].from");
  });

  it("the prefix must start a variable name", async () => {
    const content = "expand:\n  - from: vault://secret/a\n    prefix: 9-\n";
    const e = await loadError(content);
    assertAt(e, content, "9-", "expand[0].prefix");
  });

  it("expand must be a list", async () => {
    const content = "expand:\n  from: vault://secret/a\n";
    const e = await loadError(content);
    assert.match(e.message, /expected a list/);
    assertAt(e, content, "from", "expand");
  });

  it("an absent prefix is empty", async () => {
    const m = await load("expand:\n  - from: aws-sm://prod/app\n");
    assert.equal(m.expand[0]!.prefix, "");
    assert.equal(m.expand[0]!.ref.provider, "aws");
  });
});

describe("mapping file: YAML and JSON syntax", () => {
  it("a duplicate key is an error at the second one", async () => {
    const content = "env:\n  A: x\n  B: y\n  A: z\n";
    const e = await loadError(content);
    assert.match(e.message, /unique/);
    assertAt(e, content, "A", "env.A", 1);
  });

  it("a syntax error carries the parser's line and column", async () => {
    const content = "env:\n  A: x\n  B: [1, 2\n";
    const e = await loadError(content);
    assert.match(e.message, /YAML syntax error/);
    assert.ok(e.location?.line !== undefined && e.location.line >= 3, e.message);
  });

  it("tabs as indentation are reported at their line", async () => {
    const content = "env:\n\tA: x\n";
    const e = await loadError(content);
    assert.equal(e.location?.line, 2);
  });

  it("an unknown tag is an error rather than a silently different value", async () => {
    const content = "env:\n  A: !vault secret/a\n";
    const e = await loadError(content);
    assertAt(e, content, "!vault", "env.A");
  });

  it("a collection used as a key is an unknown key, without a process warning", async () => {
    const warnings: Error[] = [];
    const listener = (w: Error) => warnings.push(w);
    process.on("warning", listener);
    try {
      const e = await loadError("? [a, b]\n: c\n");
      assert.match(e.message, /unknown key/);
      assert.equal(e.location?.line, 1);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off("warning", listener);
    }
    assert.deepEqual(
      warnings.map((w) => w.message),
      [],
    );
  });

  it("more than one document is an error", async () => {
    await loadError("env:\n  A: x\n---\nenv:\n  B: y\n");
  });

  it("JSON is read by content, whatever the extension, numbers as written", async () => {
    const json = '{\n\t"vault": {"address": "http://127.0.0.1:8200"},\n\t"env": {"PORT": 8080, "R": 1.10, "DB": "vault://secret/db#pw"}\n}\n';
    for (const name of ["envject.json", "envject.yaml", "config"]) {
      const m = await load(json, name);
      assert.equal(m.vault.address?.value, "http://127.0.0.1:8200");
      assert.deepEqual(
        m.env.map((b) => (b.spec.kind === "literal" ? b.spec.value : b.spec.kind)),
        ["8080", "1.10", "ref"],
      );
      assert.deepEqual(m.env[2]!.origin.line, 3);
    }
  });

  it("JSON errors carry line, column and key too", async () => {
    const json = '{\n  "env": {\n    "A": "x",\n    "B-C": "y"\n  }\n}\n';
    const e = await loadError(json, "envject.json");
    assertAt(e, json, '"B-C"', "env.B-C");

    const broken = '{\n  "env": {\n    "A": "x"\n  \n}\n';
    const e2 = await loadError(broken, "envject.json");
    assert.match(e2.message, /JSON syntax error/);
    assert.ok(e2.location?.line !== undefined);
  });

  it("a byte-order mark does not shift line 1's columns", async () => {
    const e = await loadError("\uFEFFenviroment: x\n");
    assert.equal(e.location?.column, 1);
  });
});

describe("mapping file: size and shape bounds", () => {
  // Quadratic before (yaml's uniqueKeys and SourceMap each scanned all keys per key): 335 s.
  it("100,000 entries load, each at its line (parsing and locating are linear)", { timeout: 120_000 }, async () => {
    const n = 100_000;
    const lines = Array.from({ length: n }, (_, i) => `  V${i}: ${i % 2 ? `vault://secret/app#k${i}` : `${i}.10`}`);
    const m = await load(`env:\n${lines.join("\n")}\n`);
    assert.equal(m.env.length, n);
    assert.equal(m.env[n - 1]!.origin.line, n + 1);
    assert.deepEqual(m.env[n - 2]!.spec, { kind: "literal", value: `${n - 2}.10` });
  });

  it("a duplicate among 20,000 keys is still found, at the second one", async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `  V${i}: x`);
    lines.push("  V7: again");
    const content = `env:\n${lines.join("\n")}\n`;
    const e = await loadError(content);
    assert.match(e.message, /unique/);
    assert.deepEqual([e.location?.line, e.location?.key], [20_002, "env.V7"]);
  });

  it("nesting deeper than 64 levels is an error at the 65th level", async () => {
    const content = `env:\n  A: ${"[".repeat(70)}${"]".repeat(70)}\n`;
    const e = await loadError(content);
    assert.match(e.message, /nesting deeper than 64 levels/);
    assert.deepEqual([e.location?.line, e.location?.column], [2, 6 + 62]);
  });

  it("an alias bomb is an error at the alias where the expansion multiplies", async () => {
    const lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let i = 1; i <= 9; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    const content = `${lines.join("\n")}\nenv:\n  A: x\n`;
    const e = await loadError(content);
    assert.match(e.message, /YAML aliases expand too far .*alias bomb/);
    assertAt(e, content, "*a1", "a2[0]");
  });

  it("an alias without an anchor before it is an error at the alias", async () => {
    const content = "env:\n  A: x\n  B: *nowhere\n  C: &later y\n  D: *later\n";
    const e = await loadError(content);
    assert.match(e.message, /Unresolved alias .*nowhere/);
    assertAt(e, content, "*nowhere", "env.B");
  });

  it("a few aliases are fine", async () => {
    const m = await load("env:\n  A: &v shared\n  B: *v\n  C: *v\n");
    assert.deepEqual(
      m.env.map((b) => b.spec),
      Array(3).fill({ kind: "literal", value: "shared" }),
    );
  });
});

describe("defaultMountFor", () => {
  const mapping = (mount?: string): Mapping => ({
    vault: mount === undefined ? {} : { mount: { value: mount, origin: { file: "f" } } },
    aws: {},
    env: [],
    expand: [],
    files: [],
  });
  it("file vault.mount, then VAULT_MOUNT_POINT, then secret", () => {
    assert.equal(defaultMountFor(mapping("kv"), { VAULT_MOUNT_POINT: "other" }), "kv");
    assert.equal(defaultMountFor(mapping(), { VAULT_MOUNT_POINT: "other" }), "other");
    assert.equal(defaultMountFor(mapping(), {}), "secret");
    assert.equal(defaultMountFor(mapping(""), { VAULT_MOUNT_POINT: " " }), "secret");
    assert.equal(defaultMountFor(mapping("/kv2/"), {}), "kv2");
  });

  it("VAULT_MOUNT_POINT reaches vault_secret_var() when the file sets no mount", async () => {
    const m = await load("env:\n  U: \"{{ vault_secret_var('app', 'u') }}\"\n", "envject.yaml", { VAULT_MOUNT_POINT: "team" });
    const spec = m.env[0]!.spec;
    const part = spec.kind === "template" ? spec.parts.find((p) => p.kind === "ref") : undefined;
    assert.ok(part && part.kind === "ref");
    assert.equal(part.ref.provider === "vault" && part.ref.path, "team/app");
  });
});
