/**
 * How SDK failures and BatchGetSecretValue's per-item errors become typed errors (and exit codes),
 * including the shapes a live SDK produces that the double does not: namespaced error types,
 * `$fault: "server"`, HTTP 429, credential-chain failures, socket errors and unknown objects.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AuthError, ConfigError, NotFoundError, UnavailableError } from "../../../src/errors.js";
import { awsErrorCode, errorFromCode, errorFromSdk } from "../../../src/providers/aws/errors.js";

const call = { action: "GetSecretValue" as const, secretId: "prod/api", region: "eu-west-1" };

/** What the SDK throws for a service answer. */
function serviceError(name: string, status: number, message = "m", fault: "client" | "server" = status >= 500 ? "server" : "client") {
  return Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: status } });
}

describe("errorFromCode", () => {
  const table: Array<[string, string | undefined, new (...a: never[]) => Error, number]> = [
    ["ResourceNotFoundException", "Secrets Manager can't find the specified secret.", NotFoundError, 78],
    ["InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.", NotFoundError, 78],
    ["InvalidRequestException", "some other state conflict", ConfigError, 65],
    ["InvalidParameterException", "bad", ConfigError, 65],
    ["ValidationException", "1 validation error detected", ConfigError, 65],
    ["AccessDeniedException", "User: … is not authorized", AuthError, 77],
    ["DecryptionFailure", undefined, AuthError, 77],
    ["UnrecognizedClientException", undefined, AuthError, 77],
    ["InvalidSignatureException", undefined, AuthError, 77],
    ["ExpiredTokenException", undefined, AuthError, 77],
    ["MissingAuthenticationTokenException", undefined, AuthError, 77],
    ["IncompleteSignatureException", undefined, AuthError, 77],
    ["ThrottlingException", "Rate exceeded", UnavailableError, 69],
    ["TooManyRequestsException", undefined, UnavailableError, 69],
    ["LimitExceededException", undefined, UnavailableError, 69],
    ["InternalServiceError", undefined, UnavailableError, 69],
  ];
  for (const [code, message, type, exit] of table) {
    it(`${code}${message ? ` (${message.slice(0, 30)})` : ""} → ${type.name} ${exit}`, () => {
      const e = errorFromCode(code, message, call);
      assert.ok(e instanceof type, e.message);
      assert.equal(e.exitCode, exit);
      assert.match(e.message, /prod\/api/);
      assert.match(e.message, /eu-west-1/);
      assert.match(e.message, new RegExp(code));
    });
  }

  it("throttling and server failures are retryable; an unknown client error is not", () => {
    assert.equal((errorFromCode("ThrottlingException", undefined, call) as UnavailableError).retryable, true);
    assert.equal((errorFromCode("Whatever", undefined, call, { status: 503, fault: "server" }) as UnavailableError).retryable, true);
    assert.equal((errorFromCode("Whatever", undefined, call, { status: 429 }) as UnavailableError).retryable, true);
    const odd = errorFromCode("SomethingNew", undefined, call, { status: 400, fault: "client" });
    assert.ok(odd instanceof UnavailableError);
    assert.equal(odd.retryable, false);
  });
});

describe("errorFromSdk", () => {
  it("reads the service exception's code, namespaced or not", () => {
    const e = errorFromSdk(serviceError("com.amazonaws.secretsmanager#ResourceNotFoundException", 400), call);
    assert.ok(e instanceof NotFoundError);
    assert.equal(awsErrorCode(serviceError("com.amazon.coral.service#AccessDeniedException:http://x", 400)), "AccessDeniedException");
  });

  it("a missing-credentials failure of the SDK chain is AuthError saying what to set", () => {
    const e = errorFromSdk(Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError", $metadata: {} }), call);
    assert.ok(e instanceof AuthError);
    assert.match(e.message, /AWS_ACCESS_KEY_ID/);
    assert.match(e.message, /AWS_PROFILE/);
  });

  it("socket errors and timeouts are retryable UnavailableErrors naming the endpoint", () => {
    for (const raw of [
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED", $metadata: {} }),
      Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }),
      Object.assign(new Error("socket hang up"), { name: "TimeoutError", $metadata: {} }),
      Object.assign(new Error("Request aborted"), { name: "AbortError" }),
    ]) {
      const e = errorFromSdk(raw, { ...call, endpoint: "http://127.0.0.1:9" });
      assert.ok(e instanceof UnavailableError, raw.message);
      assert.equal(e.retryable, true);
      assert.match(e.message, /127\.0\.0\.1:9/);
      assert.equal(awsErrorCode(raw), undefined, "not a service answer");
    }
  });

  it("a TLS certificate that cannot be verified fails at once, naming the code, the endpoint and NODE_EXTRA_CA_CERTS", () => {
    for (const code of ["DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "CERT_HAS_EXPIRED", "ERR_TLS_CERT_ALTNAME_INVALID"]) {
      const e = errorFromSdk(Object.assign(new Error("self-signed certificate"), { code, $metadata: {} }), { ...call, endpoint: "https://127.0.0.1:9" });
      assert.ok(e instanceof UnavailableError, code);
      assert.equal(e.retryable, false, "a retry cannot fix a certificate");
      assert.match(e.message, new RegExp(`certificate of https://127\\.0\\.0\\.1:9 could not be verified \\(${code}\\); give its CA with NODE_EXTRA_CA_CERTS`));
      assert.match(e.message, /GetSecretValue prod\/api in eu-west-1/);
    }
    const plain = errorFromSdk(Object.assign(new Error("wrong version number"), { code: "EPROTO", $metadata: {} }), call);
    assert.match(plain.message, /TLS handshake with the endpoint of eu-west-1 failed \(EPROTO\)/);
  });

  it('a plain Error is described by its code, not by the name "Error"', () => {
    const e = errorFromSdk(Object.assign(new Error("odd"), { code: "ERR_SOMETHING_ODD" }), call);
    assert.match(e.message, /\(ERR_SOMETHING_ODD\)/);
  });

  it("anything else is a clear, non-retryable typed error, never a raw object", () => {
    for (const raw of [new TypeError("x is undefined"), "a string", null, 42]) {
      const e = errorFromSdk(raw, call);
      assert.ok(e instanceof UnavailableError);
      assert.equal(e.retryable, false);
      assert.match(e.message, /GetSecretValue prod\/api in eu-west-1/);
    }
  });
});
