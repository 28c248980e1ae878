/**
 * Equal strings (agent names, types, workflow ids, error messages...) stored once and named
 * by a dense number, so columns can hold them as integers. -1 stands for null.
 */
export class StringPool {
  /** Built on first lookup: a restored pool that is only read by number never needs it. */
  private refsByValue: Map<string, number> | undefined = new Map();
  private values: string[] = [];

  private get refs(): Map<string, number> {
    if (this.refsByValue === undefined) {
      this.refsByValue = new Map();
      for (let ref = 0; ref < this.values.length; ref++) this.refsByValue.set(this.values[ref] as string, ref);
    }
    return this.refsByValue;
  }

  ref(value: string): number {
    const refs = this.refs;
    let ref = refs.get(value);
    if (ref === undefined) {
      ref = this.values.length;
      this.values.push(value);
      refs.set(value, ref);
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
    pool.values = [...values];
    pool.refsByValue = undefined;
    return pool;
  }
}
