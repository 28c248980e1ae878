/**
 * Equal strings (agent names, types, workflow ids, error messages...) stored once and named
 * by a dense number, so columns can hold them as integers. -1 stands for null.
 */
export class StringPool {
  private readonly refs = new Map<string, number>();
  private readonly values: string[] = [];

  ref(value: string): number {
    let ref = this.refs.get(value);
    if (ref === undefined) {
      ref = this.values.length;
      this.values.push(value);
      this.refs.set(value, ref);
    }
    return ref;
  }

  refOrNull(value: string | null): number {
    return value === null ? -1 : this.ref(value);
  }

  /** The string's number, or -1 when the pool has never seen it. */
  find(value: string): number {
    return this.refs.get(value) ?? -1;
  }

  at(ref: number): string {
    return this.values[ref] as string;
  }

  atOrNull(ref: number): string | null {
    return ref < 0 ? null : (this.values[ref] as string);
  }

  get size(): number {
    return this.values.length;
  }

  toData(): readonly string[] {
    return this.values;
  }

  static fromData(values: readonly string[]): StringPool {
    const pool = new StringPool();
    for (const value of values) pool.ref(value);
    return pool;
  }
}
