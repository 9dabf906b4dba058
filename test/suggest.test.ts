/** closestKey(): the key a typed field or mapping key most likely meant (case-only first, then a typo). */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { closest, closestKey } from "../src/suggest.js";

describe("closestKey", () => {
  it("prefers a key differing only in case, which closest() skips", () => {
    assert.equal(closest("Password", ["password", "username"]), undefined);
    assert.equal(closestKey("Password", ["username", "password"]), "password");
    assert.equal(closestKey("API_KEY", ["api_keys", "api_key"]), "api_key");
  });

  it("otherwise gives closest()'s answer, and nothing for the key itself or a far word", () => {
    assert.equal(closestKey("pasword", ["username", "password"]), "password");
    assert.equal(closestKey("password", ["password"]), undefined);
    assert.equal(closestKey("hostname", ["password", "username"]), undefined);
  });
});
