/**
 * The body of a request to a double's /__double/ control surface: empty, or one JSON object.
 * Shared by the Vault and AWS doubles, which answer a bad body with their own 400 shape.
 */
export type ControlBody = Record<string, unknown>;

/** The parsed body (an empty object for an empty body), or what is wrong with it. */
export function parseControlBody(raw: Buffer): { body: ControlBody } | { error: string } {
  const text = raw.toString("utf8").trim();
  if (text === "") return { body: {} };
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return { error: "body must be a JSON object" };
    return { body: parsed as ControlBody };
  } catch (error) {
    return { error: `body is not JSON: ${(error as Error).message}` };
  }
}
