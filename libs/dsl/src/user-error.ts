/**
 * A mistake in the user's input or environment — a typo in an experiment,
 * an unknown dataset, a corrupt or unwritable file of the store, a bad queue
 * URL — whose message is the whole story (the file, the key, what was
 * expected). Callers print it as one line, never a stack trace, and exit 2.
 * Each lib's error of that kind extends this class and is told apart with
 * `instanceof`, so a new one needs no list updated anywhere.
 */
export class UserError extends Error {
  override readonly name: string = "UserError";
}
