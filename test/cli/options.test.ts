/**
 * The option table (src/cli/options.ts) and the README's list of `ENVJECT_*` variables (README
 * "ENVJECT_* variables") stay one: every option has its row — variable, option, commands,
 * default — and every row names an option that exists.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { COMMANDS, OPTIONS_OF, optionTable } from "../../src/cli/options.js";
import { ROOT } from "../support/cli.js";

interface Row {
  variable: string;
  option: string;
  commands: string;
  default: string;
}

/** The rows of the README table whose header is `| variable | option | commands | default |`. */
function readmeRows(): Row[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("| variable | option | commands | default |");
  assert.ok(start >= 0, "README has the ENVJECT_* table");
  const lines = readme.slice(start).split("\n").slice(2);
  const rows: Row[] = [];
  for (const line of lines) {
    if (!line.startsWith("|")) break;
    const cells = line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    assert.equal(cells.length, 4, line);
    const [variable, option, commands, defaultCell] = cells as [string, string, string, string];
    rows.push({ variable: variable.replace(/^`|`$/g, ""), option: option.replace(/^`|`$/g, ""), commands, default: defaultCell });
  }
  return rows;
}

const variableOf = (option: string) => `ENVJECT_${option.toUpperCase().replaceAll("-", "_")}`;

describe("README lists every ENVJECT_* variable", () => {
  const rows = readmeRows();
  const table = optionTable();

  for (const [name, { commands }] of table) {
    it(`${variableOf(name)}: its option, the commands that take it and its default`, () => {
      const row = rows.find((r) => r.variable === variableOf(name));
      assert.ok(row, `README's ENVJECT_* table has no row for ${variableOf(name)} (--${name})`);
      assert.equal(row.option, `--${name}`);
      const listed = row.commands === "all" ? [...COMMANDS] : row.commands.split(/,\s*/);
      assert.deepEqual(listed, commands, `the commands that take --${name}`);
      for (const command of commands) {
        const value = OPTIONS_OF[command][name]!.default as unknown;
        if (value !== undefined) assert.ok(row.default.includes(`\`${String(value)}\``), `the default of --${name} for ${command} is \`${String(value)}\`: ${row.default}`);
      }
    });
  }

  it("every row names an option that exists, once", () => {
    const variables = rows.map((r) => r.variable);
    assert.deepEqual(variables, [...new Set(variables)], "no variable twice");
    for (const variable of variables)
      assert.ok(
        [...table.keys()].some((name) => variableOf(name) === variable),
        `${variable} is no option's variable`,
      );
    assert.equal(rows.length, table.size);
  });
});
