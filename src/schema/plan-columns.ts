import { assignIdentifier } from './assign-identifier.js';
import { type ColumnType, RECORD_ID_FIELD, SYSTEM_COLUMNS } from './column-type.js';
import type { ModelField } from './model-fields.js';

/** How one model field is stored: the Nango field name, its column, and the column's type. */
export interface ColumnMapping {
  field: string;
  column: string;
  type: ColumnType;
}

/** A field whose declared type no longer matches its column. The column is kept as it is. */
export interface ColumnTypeChange {
  field: string;
  column: string;
  /** The type the column was created with (and still has). */
  storedType: ColumnType;
  /** The type the current model schema declares. */
  newType: ColumnType;
}

/** What {@link planColumns} decided. */
export interface ColumnPlan {
  /** Columns to add, in the model's declaration order. */
  added: ColumnMapping[];
  /** Fields whose type changed, for the caller to log; nothing is altered for them. */
  changedType: ColumnTypeChange[];
}

/**
 * Additive evolution of one table's typed columns. Pure: the caller applies the plan.
 *
 * - Existing mappings never change: a field keeps its column forever, even when its type changes
 *   (reported in `changedType`) or it disappears from the model (its column stays, and is simply
 *   no longer written).
 * - Each new field gets `assignIdentifier(field, taken)`, where `taken` starts as every existing
 *   column plus the system columns and grows as fields are assigned, in declaration order. The
 *   same inputs therefore always give the same plan, and no field can take a system column (ours or
 *   Postgres'), nor an SQL reserved word (`user` -> `user_2`; see `isReservedIdentifier`).
 * - The field `id` is skipped (it is the record id, stored in the `id text` system column), and a
 *   repeated field name only counts once.
 */
export function planColumns(existing: ReadonlyArray<ColumnMapping>, fields: ReadonlyArray<ModelField>): ColumnPlan {
  const stored = new Map<string, ColumnMapping>();
  const taken = new Set<string>(SYSTEM_COLUMNS);
  for (const mapping of existing) {
    if (!stored.has(mapping.field)) stored.set(mapping.field, mapping);
    taken.add(mapping.column);
  }

  const plan: ColumnPlan = { added: [], changedType: [] };
  const seen = new Set<string>([RECORD_ID_FIELD]);
  for (const { field, type } of fields) {
    if (seen.has(field)) continue;
    seen.add(field);
    const mapping = stored.get(field);
    if (mapping === undefined) {
      const column = assignIdentifier(field, taken);
      taken.add(column);
      plan.added.push({ field, column, type });
    } else if (mapping.type !== type) {
      plan.changedType.push({ field, column: mapping.column, storedType: mapping.type, newType: type });
    }
  }
  return plan;
}
