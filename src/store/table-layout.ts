import type { ColumnType } from '../schema/column-type.js';

/** A typed column of a model table and the top-level payload field it holds. */
export interface MappedColumn {
  /** The field name exactly as Nango sends it. */
  field: string;
  /** The normalised Postgres column name. */
  column: string;
  type: ColumnType;
}

/** Where and how one model's records are stored. */
export interface TableLayout {
  schema: string;
  table: string;
  /** Typed columns in table order; the system columns are implied. */
  columns: ReadonlyArray<MappedColumn>;
  /** History mode: the table every version is kept in (`<table>_history`, same schema); absent when off. */
  history?: string;
}
