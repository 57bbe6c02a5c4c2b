// The last known device state a driver reports through state() and the 'state' event: patch() merges changes
// and calls onChange once when anything really changed.

/** How two values of one key compare; plain `===` by default. */
export type SameValue = (key: string, a: unknown, b: unknown) => boolean;

export const strictlyEqual: SameValue = (_key, a, b) => a === b;
/** For states holding arrays and objects that are replaced, not mutated (compared by content). */
export const sameJson: SameValue = (_key, a, b) => JSON.stringify(a) === JSON.stringify(b);

export class DeviceState<S extends Record<string, unknown>> {
  constructor(
    /** The values; read them freely, change them with patch(). */
    readonly values: S,
    private readonly onChange: () => void,
    private readonly same: SameValue = strictlyEqual,
  ) {}

  /** A shallow copy, for state(). */
  copy(): S {
    return { ...this.values };
  }

  patch(p: Partial<S>): void {
    let changed = false;
    for (const [k, v] of Object.entries(p)) {
      if (!this.same(k, this.values[k], v)) {
        (this.values as Record<string, unknown>)[k] = v;
        changed = true;
      }
    }
    if (changed) this.onChange();
  }
}
