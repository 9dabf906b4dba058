#!/usr/bin/env node
/**
 * Rewrites citations of the old out-of-repository contract files (the product contract's
 * numbered sections, the wire-contract notes) into paths of the pages that now hold those facts:
 * docs/contract/*.md and docs/wire/*.md, with an anchor where a file's citation has a precise
 * section. Idempotent: what it writes matches none of its patterns, so a second run changes
 * nothing. No dependencies.
 *
 *   node scripts/point-contract-citations.mjs [--check] [FILE_OR_DIR ...]
 *
 * Without paths it walks src/, test/, bench/ and scripts/. With --check it writes nothing, lists
 * what it would change, and exits 1 if there is anything. Either way it then lists every outside
 * citation that would still be left in the files it looked at (forms it does not know), and exits
 * 1 if there is one.
 *
 * In Markdown files a citation becomes a relative link; elsewhere (comments, test names) the
 * repository path itself, e.g. docs/contract/rotation.md#store-outages.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SELF = fileURLToPath(import.meta.url);
const S = "\u00a7"; // the section sign, kept out of this file's text so the file never matches itself
const CONTRACT = "PRODUCT" + "\\.md"; // a regex source
const WIRE_CONTRACT = "wire-contract" + "\\.md";

/** Each section of the old product contract, and the page that now states it. */
export const SECTION_PAGES = {
  1: "docs/contract/command-line.md",
  2: "docs/contract/mapping.md",
  "2a": "docs/contract/authentication.md",
  3: "docs/contract/references.md",
  4: "docs/contract/environment.md",
  5: "docs/contract/supervision.md",
  6: "docs/contract/rotation.md",
  "6b": "docs/contract/check-and-export.md",
  7: "docs/contract/logging.md",
  8: "docs/contract/library.md",
  9: "docs/contract/dev.md",
};

/** The parts and sections of the old wire notes (A = Vault, B = AWS), and where they now are. */
export const WIRE_PAGES = {
  A: "docs/wire/vault.md",
  A0: "docs/wire/vault.md#requests",
  A1: "docs/wire/vault.md#kv-version-2",
  A2: "docs/wire/vault.md#mount-discovery",
  A3: "docs/wire/vault.md#kv-version-1",
  A4: "docs/wire/vault.md#tokens",
  A5: "docs/wire/vault.md#logins",
  A6: "docs/wire/vault.md#leases",
  A7: "docs/wire/vault.md#errors",
  A8: "docs/wire/vault.md#response-wrapping",
  B: "docs/wire/aws-secrets-manager.md",
  B1: "docs/wire/aws-secrets-manager.md#requests",
  B2: "docs/wire/aws-secrets-manager.md#getsecretvalue",
  B3: "docs/wire/aws-secrets-manager.md#describesecret",
  B4: "docs/wire/aws-secrets-manager.md#other-operations",
  B5: "docs/wire/aws-secrets-manager.md#batchgetsecretvalue",
  B6: "docs/wire/aws-secrets-manager.md#errors",
  B7: "docs/wire/aws-secrets-manager.md",
};

/**
 * Where one file's citation of a section has a precise place: [path test, section, target].
 * The first match wins; a section without a match here goes to its page (SECTION_PAGES).
 */
export const PRECISE = [
  [/^src\/backoff\.ts$/, "6", "docs/contract/rotation.md#store-outages"],
  [/^src\/watch\/policy\.ts$/, "6", "docs/contract/rotation.md#on-change"],
  [/^src\/watch\/outage\.ts$/, "6", "docs/contract/rotation.md#store-outages"],
  [/^src\/watch\/apply\.ts$/, "6", "docs/contract/rotation.md#what-a-change-does"],
  [/^src\/watch\/(lease|leases|renew)/, "6", "docs/contract/rotation.md#leases"],
  [/^src\/watch\/token/, "6", "docs/contract/rotation.md#the-vault-token"],
  [/(^|\/)(folder\.ts|expand-folder\.test\.ts)$/, "2", "docs/contract/mapping.md#expand-folders"],
  [/^src\/providers\/vault\/settings\.ts$/, "2", "docs/contract/authentication.md#vault-address"],
  [/^src\/providers\/vault\/login\//, "2", "docs/contract/authentication.md#login-methods"],
  [/./, "2a", "docs/contract/authentication.md#login-methods"],
  [/^src\/config\/reference\.ts$/, "2", "docs/contract/mapping.md#literal-values"],
  [/^src\/config\/reference(-syntax|-types)?\.ts$/, "3", "docs/contract/references.md#grammar"],
  [/^src\/config\/template\.ts$/, "3", "docs/contract/references.md#templates"],
  [/^src\/resolve\/field\.ts$/, "3", "docs/contract/references.md#fields-and-values"],
  [/^src\/config\/envfile\.ts$/, "2", "docs/contract/mapping.md#env-files"],
  [/^src\/config\/expand-env\.ts$/, "2", "docs/contract/mapping.md#expansion-of-settings"],
  [/^src\/config\/schema\.ts$/, "2", "docs/contract/mapping.md#sections"],
  [/^src\/config\/duration\.ts$/, "1", "docs/contract/command-line.md#durations-and-signals"],
  [/^src\/cli\/options\.ts$/, "1", "docs/contract/command-line.md#options"],
  [/^test\/cli\/command-line\.test\.ts$/, "1", "docs/contract/command-line.md#options"],
  [/^test\/cli\/help\.test\.ts$/, "1", "docs/contract/command-line.md#commands"],
  [/(crash|restart-on-failure)[^/]*\.ts$/, "1", "docs/contract/supervision.md#crash-restarts"],
  [/(crash|restart-on-failure)[^/]*\.ts$/, "5", "docs/contract/supervision.md#crash-restarts"],
  [/(^|\/)(names|mask|export)(\.test)?\.ts$/, "4", "docs/contract/environment.md#names-and-values"],
  [/./, "4", "docs/contract/environment.md#order"],
  [/^src\/supervise\/signals\.ts$/, "5", "docs/contract/supervision.md#signals"],
  [/^test\/supervise\/signal/, "5", "docs/contract/supervision.md#signals"],
  [/^src\/errors\.ts$/, "5", "docs/contract/exit-codes.md#codes"],
  [/exit-codes[^/]*\.ts$/, "5", "docs/contract/exit-codes.md"],
  [/^test\/reliability\/fault-matrix-store\.test\.ts$/, "5", "docs/contract/exit-codes.md#codes"],
  [/^test\/reliability\/fault-matrix-store\.test\.ts$/, "6", "docs/contract/rotation.md#store-outages"],
  [/^test\/cli\/check\.test\.ts$/, "5", "docs/contract/exit-codes.md#several-failures"],
  [/^test\/cli\/check\.test\.ts$/, "6b", "docs/contract/check-and-export.md#check"],
  [/export/, "6b", "docs/contract/check-and-export.md#export"],
  [/(^|\/)reader(\.test)?\.ts$/, "6", "docs/contract/rotation.md#what-is-polled"],
  [/^test\/cli\/watch-aws\.test\.ts$/, "6", "docs/contract/rotation.md#what-is-polled"],
  [/on-change/, "6", "docs/contract/rotation.md#on-change"],
  [/outage/, "6", "docs/contract/rotation.md#store-outages"],
  [/token/, "6", "docs/contract/rotation.md#the-vault-token"],
  [/lease/, "6", "docs/contract/rotation.md#leases"],
  [/^test\/cli\/tls\.test\.ts$/, "2", "docs/contract/authentication.md#tls"],
  [/^test\/cli\/auth\.test\.ts$/, "2", "docs/contract/authentication.md"],
  [/login-methods\.test\.ts$/, "2", "docs/contract/authentication.md#choosing-a-method"],
  [/./, "7", "docs/contract/logging.md#redaction"],
  [/./, "8", "docs/contract/library.md#api"],
];

/** Where one file's bare mention of the old wire notes points ("the wire contract"). */
const WIRE_DEFAULT = [
  [/^src\/dev\/aws\/wire\/errors\.ts$/, "docs/wire/aws-secrets-manager.md#errors"],
  [/^src\/dev\/aws\/README\.md$/, "docs/wire/aws-secrets-manager.md#unverified"],
  [/(^|\/)aws/, "docs/wire/aws-secrets-manager.md"],
  [/./, "docs/wire/vault.md"],
];

const sectionRe = `(\\d+[a-z]?)`;
/** `<contract> SN`, `<contract> SN, SM`, `<contract> SN–M` (S the section sign), with any path before the file name. */
const CITATION = new RegExp(`(?:[\\w./-]*/)?${CONTRACT}\\s+${S}${sectionRe}((?:\\s*(?:,|and)\\s*${S}${sectionRe.replace("(", "(?:")})*)(?:\\s*[–-]\\s*${sectionRe})?( exit codes)?`, "g");
const BARE_SECTION = new RegExp(`(?<!RFC\\s*\\d+\\s*)${S}${sectionRe}(?![.\\d])`, "g");
const CONTRACT_EXAMPLE = new RegExp(`the ${CONTRACT} example`, "g");
const CONTRACT_ANY = new RegExp(`(?:[\\w./-]*/)?${CONTRACT}`, "g");
const WIRE_PART_SENTENCE = new RegExp("the wire contract \\(`?" + WIRE_CONTRACT + "`? Part ([AB])(?:, ([^)]*))?\\)", "g");
const WIRE_CITATION = new RegExp("(?:[\\w./-]*/)?`?" + WIRE_CONTRACT + "`?(?:\\s+(?:Part\\s+)?([AB]\\d?))?", "g");
const WIRE_SECTION = /\bwire contract ([AB]\d?)\b/g;
const WIRE_SHORT = /(?:[\w./-]*\/)?shared\/reference\/wire\.md/g;
const WIRE_BARE = /\b[Tt]he wire contract\b/g;

/** What still counts as an outside citation after a rewrite. */
export const LEFTOVER = new RegExp(`${CONTRACT}|${WIRE_CONTRACT}|wire contract|shared/(?:spec|reference)/|${S}\\s*\\d`, "g");

function preciseTarget(file, section) {
  for (const [test, s, target] of PRECISE) if (s === String(section) && test.test(file)) return target;
  return SECTION_PAGES[section];
}

function wireDefault(file) {
  for (const [test, target] of WIRE_DEFAULT) if (test.test(file)) return target;
  return "docs/wire/vault.md";
}

/** How a repository path is written in `file`: a relative link in Markdown, the path itself elsewhere. */
function cite(file, target) {
  if (extname(file) !== ".md") return target;
  const [path, anchor] = target.split("#");
  const rel = relative(dirname(join(ROOT, file)), join(ROOT, path))
    .split(sep)
    .join("/");
  return `[${target}](${rel}${anchor ? `#${anchor}` : ""})`;
}

function expandSections(first, list, rangeEnd) {
  const sections = [first];
  for (const m of (list ?? "").matchAll(new RegExp(`${S}${sectionRe}`, "g"))) sections.push(m[1]);
  if (rangeEnd) {
    const from = Number.parseInt(first, 10);
    const to = Number.parseInt(rangeEnd, 10);
    for (let n = from + 1; n <= to; n++) sections.push(String(n));
  }
  return sections;
}

/** The rewritten text of `file` (a path relative to the repository) and how many citations changed. */
export function rewrite(file, text) {
  let count = 0;
  const known = (section) => section in SECTION_PAGES;
  const targetsOf = (sections) => [...new Set(sections.filter(known).map((s) => preciseTarget(file, s)))];
  let out = text.replace(CITATION, (whole, first, list, rangeEnd, exitCodes) => {
    const targets = targetsOf(expandSections(first, list, rangeEnd));
    if (targets.length === 0) return whole;
    count++;
    // "… exit codes" after the citation is dropped when the page cited is the exit-code page.
    const tail = exitCodes && !targets.every((t) => t.startsWith("docs/contract/exit-codes.md")) ? exitCodes : "";
    return targets.map((t) => cite(file, t)).join(", ") + tail;
  });
  out = out.replace(CONTRACT_EXAMPLE, () => (count++, `the example of ${cite(file, "docs/contract/mapping.md#an-example")}`));
  out = out.replace(CONTRACT_ANY, () => (count++, cite(file, "docs/contract/README.md")));
  out = out.replace(BARE_SECTION, (whole, section) => {
    if (!known(section)) return whole;
    count++;
    return cite(file, preciseTarget(file, section));
  });
  out = out.replace(WIRE_PART_SENTENCE, (_, part, rest) => {
    count++;
    return `the wire facts in ${cite(file, WIRE_PAGES[part])}${rest ? ` (${rest})` : ""}`;
  });
  out = out.replace(WIRE_CITATION, (_, part) => (count++, cite(file, part ? (WIRE_PAGES[part] ?? wireDefault(file)) : wireDefault(file))));
  out = out.replace(WIRE_SECTION, (_, part) => (count++, cite(file, WIRE_PAGES[part] ?? wireDefault(file))));
  out = out.replace(WIRE_SHORT, () => (count++, cite(file, wireDefault(file))));
  out = out.replace(WIRE_BARE, () => (count++, cite(file, wireDefault(file))));
  return { text: out, count };
}

const TEXT_FILES = new Set([".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".md", ".py", ".sh", ".json", ".yaml", ".yml"]);

function* walk(path) {
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
      yield* walk(join(path, name));
    }
  } else if (TEXT_FILES.has(extname(path))) {
    yield path;
  }
}

function main(argv) {
  const check = argv.includes("--check");
  const given = argv.filter((a) => a !== "--check");
  const roots = given.length > 0 ? given.map((p) => resolve(p)) : ["src", "test", "bench", "scripts"].map((d) => join(ROOT, d));
  let changedFiles = 0;
  let changedCitations = 0;
  const left = [];
  for (const root of roots) {
    for (const abs of walk(root)) {
      if (abs === SELF) continue;
      const file = relative(ROOT, abs).split(sep).join("/");
      const before = readFileSync(abs, "utf8");
      const { text, count } = rewrite(file, before);
      if (text !== before) {
        changedFiles++;
        changedCitations += count;
        console.log(`${check ? "would rewrite" : "rewrote"} ${count} in ${file}`);
        if (!check) writeFileSync(abs, text);
      }
      const after = check ? text : readFileSync(abs, "utf8");
      after.split("\n").forEach((line, i) => {
        if (LEFTOVER.test(line)) left.push(`${file}:${i + 1}: ${line.trim()}`);
        LEFTOVER.lastIndex = 0;
      });
    }
  }
  console.log(`${changedCitations} citation(s) in ${changedFiles} file(s) ${check ? "to rewrite" : "rewritten"}`);
  if (left.length > 0) {
    console.log(`${left.length} outside citation(s) left:`);
    for (const l of left) console.log(`  ${l}`);
    return 1;
  }
  console.log("no outside citation left");
  return check && changedFiles > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === SELF) process.exitCode = main(process.argv.slice(2));
