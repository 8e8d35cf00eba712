/**
 * Errors of the findings module. Every malformed or unrecognised findings input is an
 * {@link InvalidInputError} naming the file and the field, so the CLI can print it as one line (exit 2)
 * and the gate can record it as a permanent problem rather than retry it.
 */
import { InvalidInputError } from '../errors/gatekeeper-error.ts';

export { InvalidInputError };

/** The input is valid JSON but none of the supported scanner formats (or not the one asked for). */
export class UnsupportedFindingsFormatError extends InvalidInputError {}
