import type { Value } from './value.js';

/** A text format for values of the data model. */
export interface FormatAdapter {
  /** Short lower-case name, e.g. `json`. */
  readonly name: string;
  /** Canonical file extension without the dot, e.g. `yaml`. */
  readonly extension: string;
  /** Further extensions this adapter reads, e.g. `yml`. */
  readonly aliases?: readonly string[];
  /** IANA media type, e.g. `application/json`. */
  readonly mediaType: string;
  /**
   * Pretty, deterministic text with a trailing newline. Throws StorageError `EINVAL`
   * (`field` = JSON path) for anything outside the data model.
   */
  serialize(value: Value): string;
  /**
   * Parses text written by `serialize` (or by hand). Throws StorageError `ECORRUPT` for
   * malformed text (with `line`/`column` when known) and `EINVAL` for input over a limit.
   */
  deserialize(text: string): Value;
}
