/**
 * The AWS provider's settings: the region order (mapping `aws.region`, AWS_REGION,
 * AWS_DEFAULT_REGION), the endpoint variables (AWS_ENDPOINT_URL_SECRETS_MANAGER before
 * AWS_ENDPOINT_URL), and configuration errors that name where a bad value came from.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../../../src/errors.js";
import { missingRegion, resolveAwsSettings } from "../../../src/providers/aws/settings.js";

const origin = { file: "envject.yaml", line: 2, column: 11, key: "aws.region" };

describe("resolveAwsSettings", () => {
  it("takes the region from aws.region, then AWS_REGION, then AWS_DEFAULT_REGION", () => {
    const environ = { AWS_REGION: "eu-west-2", AWS_DEFAULT_REGION: "eu-west-3" };
    assert.deepEqual(resolveAwsSettings({ file: { region: { value: "eu-west-1", origin } }, environ }).defaultRegion, {
      value: "eu-west-1",
      source: "aws.region in the mapping file",
    });
    assert.deepEqual(resolveAwsSettings({ file: {}, environ }).defaultRegion, { value: "eu-west-2", source: "AWS_REGION" });
    assert.deepEqual(resolveAwsSettings({ file: {}, environ: { AWS_DEFAULT_REGION: "eu-west-3" } }).defaultRegion, {
      value: "eu-west-3",
      source: "AWS_DEFAULT_REGION",
    });
    assert.equal(resolveAwsSettings({ file: {}, environ: { AWS_REGION: "" } }).defaultRegion, undefined, "an empty variable is unset");
  });

  it("a malformed region is a ConfigError naming where it came from", () => {
    assert.throws(
      () => resolveAwsSettings({ file: { region: { value: "Not A Region", origin } }, environ: {} }),
      (e: unknown) => e instanceof ConfigError && /envject\.yaml:2:11 \(aws\.region\)/.test(e.message) && /not an AWS region/.test(e.message),
    );
    assert.throws(() => resolveAwsSettings({ file: {}, environ: { AWS_REGION: "us east 1" } }), /AWS_REGION "us east 1"/);
  });

  it("takes the endpoint from AWS_ENDPOINT_URL_SECRETS_MANAGER, then AWS_ENDPOINT_URL", () => {
    const both = { AWS_ENDPOINT_URL_SECRETS_MANAGER: "http://127.0.0.1:1111", AWS_ENDPOINT_URL: "http://127.0.0.1:2222" };
    assert.deepEqual(resolveAwsSettings({ file: {}, environ: both }).endpoint, { value: "http://127.0.0.1:1111", source: "AWS_ENDPOINT_URL_SECRETS_MANAGER" });
    assert.deepEqual(resolveAwsSettings({ file: {}, environ: { AWS_ENDPOINT_URL: "https://sm.example" } }).endpoint, {
      value: "https://sm.example",
      source: "AWS_ENDPOINT_URL",
    });
    assert.equal(resolveAwsSettings({ file: {}, environ: {} }).endpoint, undefined);
  });

  it("a malformed endpoint is a ConfigError naming the variable", () => {
    assert.throws(
      () => resolveAwsSettings({ file: {}, environ: { AWS_ENDPOINT_URL: "not a url" } }),
      (e: unknown) => e instanceof ConfigError && /AWS_ENDPOINT_URL/.test(e.message),
    );
    assert.throws(() => resolveAwsSettings({ file: {}, environ: { AWS_ENDPOINT_URL_SECRETS_MANAGER: "ftp://x" } }), /http:\/\/ or https:\/\//);
  });

  it("bounds connecting and requests", () => {
    const s = resolveAwsSettings({ file: {}, environ: {} });
    assert.ok(s.connectTimeoutMs > 0 && s.requestTimeoutMs > 0);
  });

  it("missingRegion says what to set", () => {
    const e = missingRegion("prod/api");
    assert.equal(e.exitCode, 65);
    assert.match(e.message, /prod\/api/);
    assert.match(e.message, /aws\.region/);
    assert.match(e.message, /AWS_REGION/);
    assert.match(e.message, /\?region=/);
  });

  it("takes static keys from the given environment (session token included), and leaves the rest to the SDK's chain", () => {
    const keys = { AWS_ACCESS_KEY_ID: "AKIDFROMENVIRON", AWS_SECRET_ACCESS_KEY: "from-environ" };
    assert.deepEqual(resolveAwsSettings({ file: {}, environ: keys }).staticCredentials, { accessKeyId: "AKIDFROMENVIRON", secretAccessKey: "from-environ" });
    assert.deepEqual(resolveAwsSettings({ file: {}, environ: { ...keys, AWS_SESSION_TOKEN: "tok" } }).staticCredentials, {
      accessKeyId: "AKIDFROMENVIRON",
      secretAccessKey: "from-environ",
      sessionToken: "tok",
    });
    assert.equal(resolveAwsSettings({ file: {}, environ: { AWS_ACCESS_KEY_ID: "AKIDONLY" } }).staticCredentials, undefined, "half a key pair is the chain's business");
    assert.equal(resolveAwsSettings({ file: {}, environ: { AWS_PROFILE: "dev" } }).staticCredentials, undefined);
  });
});
