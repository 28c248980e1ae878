/**
 * Smallest and largest string among contributions that can be retracted, in O(1) memory.
 * Removing the current extreme marks it stale (the true one is then at or inside the removed
 * bound); re-adding at or beyond the bound makes it exact again, otherwise `refresh` rescans.
 */
export class StringExtremes {
  min: string | undefined;
  max: string | undefined;
  private count = 0;
  private minStale = false;
  private maxStale = false;

  add(value: string): void {
    this.count++;
    if (this.min === undefined || value < this.min || (this.minStale && value === this.min)) {
      this.min = value;
      this.minStale = false;
    }
    if (this.max === undefined || value > this.max || (this.maxStale && value === this.max)) {
      this.max = value;
      this.maxStale = false;
    }
  }

  remove(value: string): void {
    this.count--;
    if (this.count === 0) {
      this.min = this.max = undefined;
      this.minStale = this.maxStale = false;
      return;
    }
    if (value === this.min) this.minStale = true;
    if (value === this.max) this.maxStale = true;
  }

  get needsRefresh(): boolean {
    return this.minStale || this.maxStale;
  }

  refresh(forEach: (visit: (value: string) => void) => void): void {
    if (!this.needsRefresh) return;
    this.min = this.max = undefined;
    forEach((value) => {
      if (this.min === undefined || value < this.min) this.min = value;
      if (this.max === undefined || value > this.max) this.max = value;
    });
    this.minStale = this.maxStale = false;
  }
}
