/**
 * Remembers every secret value envject has resolved and replaces each occurrence in a string
 * with `*****`. Longest values are replaced first, so a secret that contains another is hidden
 * whole. Values shorter than `minLength` are not tracked: redacting every "1" or "a" would make
 * logs unreadable without protecting anything.
 */
export class Redactor {
  static readonly MASK = "*****";
  private readonly values = new Set<string>();
  private sorted: string[] | null = [];

  constructor(private readonly minLength = 3) {}

  /** Adds a value to hide from now on. Multi-line values are also hidden line by line. */
  add(value: string): void {
    const candidates = [value, ...value.split(/\r?\n/)];
    for (const v of candidates) {
      if (v.length >= this.minLength && !this.values.has(v)) {
        this.values.add(v);
        this.sorted = null;
      }
    }
  }

  /** The tracked values, longest first. */
  secrets(): readonly string[] {
    if (!this.sorted) this.sorted = [...this.values].sort((a, b) => b.length - a.length);
    return this.sorted;
  }

  /** Returns `text` with every tracked value replaced by the mask. */
  redact(text: string): string {
    let out = text;
    for (const v of this.secrets()) {
      if (out.includes(v)) out = out.split(v).join(Redactor.MASK);
    }
    return out;
  }
}
