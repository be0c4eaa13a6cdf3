// fc.record's draws in one layer: the op generators' records, built as plain objects. fast-check's
// record is a tuple of its fields plus one boolean, mapped to an object; the boolean picks a
// null-prototype object half the time (V8 keeps those in dictionary mode). This arbitrary draws
// the same fields and the same boolean from the same random stream, so a seed draws the same
// values, and builds an ordinary object directly: one Value instead of the tuple's and the
// map's, and no dictionary-mode ops for the model and impl to read. Shrinking is fc.record's own:
// the context it keeps is the one fc.record's map keeps (the tuple's values and contexts).

import fc from 'fast-check';

type RecordModel<T> = { [K in keyof T]: fc.Arbitrary<T[K]> };

/** fc.record's trailing draw (its null-prototype switch): drawn, its value not used. One for
 * every record: an arbitrary is an immutable description, and a run builds many records. */
const prototypeSwitch = fc.boolean();

class PlainRecordArbitrary<T> extends fc.Arbitrary<T> {
  private readonly keys: readonly string[];
  private readonly arbs: readonly fc.Arbitrary<unknown>[];
  /** fc.record over the same fields, built when first needed (most runs never shrink): shrinks
   * what this generates, as it shrinks its own. */
  private sameRecord: fc.Arbitrary<T> | undefined;

  constructor(private readonly model: RecordModel<T>) {
    super();
    this.keys = Object.keys(model);
    const fields = model as Record<string, fc.Arbitrary<unknown>>;
    this.arbs = this.keys.map((k) => fields[k] as fc.Arbitrary<unknown>);
  }

  private get same(): fc.Arbitrary<T> {
    this.sameRecord ??= fc.record(this.model);
    return this.sameRecord;
  }

  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<T> {
    const { keys, arbs } = this;
    const values: unknown[] = [];
    const contexts: unknown[] = [];
    const out: Record<string, unknown> = {};
    for (let i = 0; i < arbs.length; i++) {
      const v = (arbs[i] as fc.Arbitrary<unknown>).generate(mrng, biasFactor);
      // Why refuse? A value with a clone method needs fc.tuple's cloning wrappers; no op field
      // has one (numbers, strings, booleans, arrays and records of them).
      if (v.hasToBeCloned) throw new Error('plainRecord: a field value must not need cloning');
      values.push(v.value);
      contexts.push(v.context);
      out[keys[i] as string] = v.value;
    }
    const last = prototypeSwitch.generate(mrng, biasFactor);
    values.push(last.value);
    contexts.push(last.context);
    return new fc.Value(out as T, { originalValue: values, originalContext: contexts });
  }

  canShrinkWithoutContext(value: unknown): value is T {
    return this.same.canShrinkWithoutContext(value);
  }

  shrink(value: T, context: unknown): fc.Stream<fc.Value<T>> {
    return this.same.shrink(value, context);
  }
}

/** fc.record(model), drawing the same values from a seed, as ordinary objects. */
export function record<T>(model: RecordModel<T>): fc.Arbitrary<T> {
  return new PlainRecordArbitrary(model);
}
