import { expect } from "vitest";
import { DataError } from "./idx-reader.js";

/** For tests: runs `action`, asserts it throws a DataError, and returns it for its message. */
export function thrown(action: () => unknown): DataError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error("expected a DataError, nothing was thrown");
}
