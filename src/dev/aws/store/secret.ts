/**
 * One secret and its versions, with the staging-label rules of Secrets Manager: a label is on at
 * most one version; when AWSCURRENT moves, the version that had it takes AWSPREVIOUS (and the
 * version that had AWSPREVIOUS loses it). Versions keep their creation order.
 */
import { dayStartMs } from "../wire/time.js";

export const CURRENT = "AWSCURRENT";
export const PREVIOUS = "AWSPREVIOUS";

export type SecretValue = { kind: "string"; text: string } | { kind: "binary"; base64: string };

export interface SecretVersion {
  id: string;
  value: SecretValue;
  createdMs: number;
  stages: string[];
  /** Day (midnight UTC) of the last read, as AWS records it. */
  lastAccessedMs?: number;
}

export interface Tag {
  Key: string;
  Value: string;
}

export class Secret {
  readonly versions: SecretVersion[] = [];
  description: string | undefined;
  kmsKeyId: string | undefined;
  tags: Tag[] = [];
  lastChangedMs: number;
  lastAccessedMs: number | undefined;
  /** Set while the secret is scheduled for deletion. */
  deletion: { deletedMs: number; deletionDateMs: number } | undefined;

  constructor(
    readonly name: string,
    readonly arn: string,
    readonly createdMs: number,
  ) {
    this.lastChangedMs = createdMs;
  }

  version(id: string): SecretVersion | undefined {
    return this.versions.find((v) => v.id === id);
  }

  /** The version carrying `stage`, if any. */
  withStage(stage: string): SecretVersion | undefined {
    return this.versions.find((v) => v.stages.includes(stage));
  }

  /** Adds a version and gives it `stages` (moving each from wherever it was). */
  addVersion(version: SecretVersion, stages: string[], nowMs: number): void {
    this.versions.push({ ...version, stages: [] });
    for (const stage of stages) this.moveStage(stage, version.id);
    this.lastChangedMs = nowMs;
  }

  /** Puts `stage` on version `toId` alone; moving AWSCURRENT re-labels the old current AWSPREVIOUS. */
  moveStage(stage: string, toId: string): void {
    const from = this.withStage(stage);
    const to = this.version(toId);
    if (!to || from === to) return;
    if (from) from.stages = from.stages.filter((s) => s !== stage);
    to.stages.push(stage);
    if (stage === CURRENT && from) {
      const previous = this.withStage(PREVIOUS);
      if (previous) previous.stages = previous.stages.filter((s) => s !== PREVIOUS);
      if (!from.stages.includes(PREVIOUS)) from.stages.push(PREVIOUS);
    }
  }

  /** Removes `stage` from version `fromId`. */
  removeStage(stage: string, fromId: string): void {
    const v = this.version(fromId);
    if (v) v.stages = v.stages.filter((s) => s !== stage);
  }

  /** Records a read of `version` (secret and version, to the day). */
  touch(version: SecretVersion, nowMs: number): void {
    this.lastAccessedMs = dayStartMs(nowMs);
    version.lastAccessedMs = dayStartMs(nowMs);
  }
}
