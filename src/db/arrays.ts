/**
 * pgtyped types array parameters' elements as non-null, but PostgreSQL arrays
 * hold NULLs and unnest() turns them into NULL columns, which is what absent
 * values are.
 */
export function nullable<T>(values: (T | null)[]): T[] {
  return values as T[];
}
