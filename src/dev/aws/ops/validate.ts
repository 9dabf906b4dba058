/**
 * Input checks in the order and wording of the AWS front door: a missing required member or a
 * length outside the model's bounds is a ValidationException ("1 validation error detected: Value
 * null at 'secretId' failed to satisfy constraint: Member must not be null"); a member of the wrong
 * JSON type is a SerializationException. Values of sensitive members never appear in a message.
 */
import { frontDoor, validation } from "../wire/errors.js";

type Input = Record<string, unknown>;

/** Coral names members in lowerCamel case in its messages. */
const member = (key: string): string => key.charAt(0).toLowerCase() + key.slice(1);

interface StringRule {
  required?: boolean;
  min?: number;
  max?: number;
  /** Never echo the value (secret values). */
  sensitive?: boolean;
  pattern?: RegExp;
}

/** A string member, checked against the model's bounds. */
export function stringMember(input: Input, key: string, rule: StringRule = {}): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) {
    if (rule.required) throw validation(`Value null at '${member(key)}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof value !== "string") throw frontDoor("SerializationException", `Expected a string for member '${key}'.`);
  const shown = rule.sensitive ? "Value" : `Value '${value}'`;
  if (rule.min !== undefined && value.length < rule.min) {
    throw validation(`${shown} at '${member(key)}' failed to satisfy constraint: Member must have length greater than or equal to ${rule.min}`);
  }
  if (rule.max !== undefined && value.length > rule.max) {
    throw validation(`${shown} at '${member(key)}' failed to satisfy constraint: Member must have length less than or equal to ${rule.max}`);
  }
  if (rule.pattern && !rule.pattern.test(value)) {
    throw validation(`${shown} at '${member(key)}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${rule.pattern.source}`);
  }
  return value;
}

/** A boolean member. */
export function booleanMember(input: Input, key: string): boolean | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw frontDoor("SerializationException", `Expected a boolean for member '${key}'.`);
  return value;
}

/** An integer member within [min, max]. */
export function integerMember(input: Input, key: string, min: number, max: number): number | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) throw frontDoor("SerializationException", `Expected an integer for member '${key}'.`);
  if (value < min) throw validation(`Value '${value}' at '${member(key)}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`);
  if (value > max) throw validation(`Value '${value}' at '${member(key)}' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
  return value;
}

/** A list member with [min, max] entries. */
export function listMember(input: Input, key: string, min: number, max: number): unknown[] | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw frontDoor("SerializationException", `Expected a list for member '${key}'.`);
  if (value.length < min) throw validation(`Value at '${member(key)}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`);
  if (value.length > max) throw validation(`Value at '${member(key)}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
  return value as unknown[];
}

/** A list of strings, each 1..`itemMax` long. */
export function stringListMember(input: Input, key: string, min: number, max: number, itemMax: number): string[] | undefined {
  const list = listMember(input, key, min, max);
  if (list === undefined) return undefined;
  return list.map((item, i) => {
    if (typeof item !== "string") throw frontDoor("SerializationException", `Expected a string in member '${key}'.`);
    if (item.length < 1 || item.length > itemMax) {
      throw validation(`Value '${item}' at '${member(key)}.${i + 1}.member' failed to satisfy constraint: Member must have length between 1 and ${itemMax}`);
    }
    return item;
  });
}

export const SECRET_ID = { required: true, min: 1, max: 2048 } as const;
export const VERSION_ID = { min: 32, max: 64 } as const;
export const VERSION_STAGE = { min: 1, max: 256 } as const;
