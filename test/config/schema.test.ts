import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LineCounter, isMap, parseDocument } from "yaml";
import type { YAMLMap } from "yaml";
import { SourceMap } from "../../src/config/source-map.js";

describe("SourceMap", () => {
  /** The file of `n` env entries, with every read of an item of the env mapping counted. */
  function countedSource(n: number): { source: SourceMap; names: string[]; reads: () => number } {
    const names = Array.from({ length: n }, (_, i) => `VAR_${i}`);
    const lineCounter = new LineCounter();
    const doc = parseDocument(`env:\n${names.map((name, i) => `  ${name}: ${i % 2 ? "text" : `${i}.10`}\n`).join("")}`, { lineCounter });
    const env = (doc.contents as YAMLMap).items[0]!.value;
    assert.ok(isMap(env));
    let reads = 0;
    env.items = new Proxy(env.items, {
      get(target, property, receiver) {
        if (typeof property === "string" && /^\d+$/.test(property)) reads++;
        return Reflect.get(target, property, receiver);
      },
    });
    return { source: new SourceMap("f.yaml", doc, lineCounter), names, reads: () => reads };
  }

  it("locates every entry of a mapping with one pass over its items, not one per entry", () => {
    const n = 2_000;
    const { source, names, reads } = countedSource(n);
    names.forEach((name, i) => {
      assert.equal(source.locate(["env", name]).line, i + 2);
      assert.equal(source.locate(["env", name], "key").column, 3);
      source.scalarSource(["env", name]);
    });
    // One scan per lookup would be n²/2 = 2,000,000 reads.
    assert.ok(reads() <= n, `${reads()} reads of the env mapping's items for ${n} entries`);
  });

  it("still names the first of two equal keys, and the deepest part of a path that exists", () => {
    const lineCounter = new LineCounter();
    const doc = parseDocument("env:\n  A: 1\n  A: 2\nvault:\n  auth: {}\n", { lineCounter, uniqueKeys: false });
    const source = new SourceMap("f.yaml", doc, lineCounter);
    assert.deepEqual(source.locate(["env", "A"]), { file: "f.yaml", line: 2, column: 6, key: "env.A" });
    assert.deepEqual(source.locate(["vault", "auth", "method"]), { file: "f.yaml", line: 5, column: 9, key: "vault.auth.method" });
  });
});
