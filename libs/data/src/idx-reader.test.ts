import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { encodeIdx, readIdxFile, readIdxHeader } from "./idx-reader.js";
import { thrown } from "./expect-data-error.js";

const dir = mkdtempSync(join(tmpdir(), "ganscope-idx-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNumber = 0;
function writeTemp(bytes: Uint8Array, name = `file-${fileNumber++}`): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

/** Dims of 1 to 4 axes, each small, with at most a few hundred bytes of data. */
const idxContent = fc
  .array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 4 })
  .chain((dims) => {
    const size = dims.reduce((a, b) => a * b, 1);
    return fc.record({ dims: fc.constant(dims), data: fc.uint8Array({ minLength: size, maxLength: size }) });
  });


describe("readIdxFile", () => {
  it("reads back what encodeIdx wrote, raw and gzip", () => {
    fc.assert(
      fc.property(idxContent, fc.boolean(), ({ dims, data }, gzip) => {
        const encoded = encodeIdx(dims, data);
        const file = writeTemp(gzip ? gzipSync(encoded) : encoded);
        const read = readIdxFile(file);
        expect(read.dims).toEqual(dims);
        expect(Array.from(read.data)).toEqual(Array.from(data));
        expect(readIdxHeader(file)).toEqual(dims);
      }),
    );
  });

  it("reads the headers of MNIST-shaped files and checks their layout", () => {
    const images = writeTemp(encodeIdx([2, 3, 4], new Uint8Array(24).fill(7)));
    const labels = writeTemp(gzipSync(encodeIdx([2], Uint8Array.of(5, 0))));
    expect(readIdxFile(images, { expect: "images" }).dims).toEqual([2, 3, 4]);
    expect(readIdxFile(labels, { expect: "labels" }).data).toEqual(Uint8Array.of(5, 0));
    expect(readIdxHeader(labels, { expect: "labels" })).toEqual([2]);
  });

  it("names the file and how to get it when the file is missing", () => {
    const file = join(dir, "no-such-file-idx3-ubyte");
    const error = thrown(() =>
      readIdxFile(file, { context: 'dataset "fashion-mnist" (train images)', missingHint: "apt-get install dataset-fashion-mnist" }),
    );
    expect(error.message).toContain(file);
    expect(error.message).toContain('dataset "fashion-mnist" (train images)');
    expect(error.message).toContain("does not exist");
    expect(error.message).toContain("apt-get install dataset-fashion-mnist");
    expect(error.file).toBe(file);
    expect(thrown(() => readIdxHeader(file)).message).toContain(file);
  });

  it("rejects a wrong magic number, saying what it got and what it expected", () => {
    const labels = writeTemp(encodeIdx([3], Uint8Array.of(1, 2, 3)), "labels-idx1-ubyte");
    const error = thrown(() => readIdxFile(labels, { expect: "images" }));
    expect(error.message).toContain(labels);
    expect(error.message).toContain("wrong magic number: got 0x00000801 (labels), expected 0x00000803 (images)");
    expect(error.message).toContain("swapped");
  });

  it("rejects IDX data types other than unsigned byte", () => {
    const encoded = encodeIdx([2], Uint8Array.of(1, 2));
    encoded[2] = 0x0d;
    const file = writeTemp(encoded);
    const error = thrown(() => readIdxFile(file));
    expect(error.message).toContain(file);
    expect(error.message).toContain("0x0d (float32)");
  });

  it("reports a truncated file with the expected and actual byte counts, raw and gzip", () => {
    const whole = encodeIdx([10, 2, 2], new Uint8Array(40));
    const raw = writeTemp(whole.subarray(0, 30));
    const rawError = thrown(() => readIdxFile(raw, { expect: "images" }));
    expect(rawError.message).toContain(raw);
    expect(rawError.message).toContain("truncated: expected 56 bytes");
    expect(rawError.message).toContain("got 30");

    const gzipped = writeTemp(gzipSync(whole.subarray(0, 30)));
    const gzipError = thrown(() => readIdxFile(gzipped));
    expect(gzipError.message).toContain(`${gzipped} (after gunzip)`);
    expect(gzipError.message).toContain("expected 56 bytes");

    const headerOnly = writeTemp(whole.subarray(0, 6));
    expect(thrown(() => readIdxFile(headerOnly)).message).toContain(`${headerOnly}: truncated: expected a 16-byte header`);
  });

  it("rejects trailing bytes after the last item", () => {
    const file = writeTemp(Buffer.concat([encodeIdx([2], Uint8Array.of(1, 2)), Buffer.from([9])]));
    expect(thrown(() => readIdxFile(file)).message).toContain("trailing data");
  });

  it("rejects files that are neither IDX nor gzip, and corrupt gzip", () => {
    const text = writeTemp(Buffer.from("<html>404 Not Found</html>"));
    const textError = thrown(() => readIdxFile(text, { expect: "labels" }));
    expect(textError.message).toContain(text);
    expect(textError.message).toContain("neither an IDX file nor gzip-compressed");
    expect(textError.message).toContain("expected 0x00000801 (labels)");

    const cut = gzipSync(encodeIdx([100], new Uint8Array(100).fill(3)));
    const brokenGzip = writeTemp(cut.subarray(0, cut.length - 12));
    const gzipError = thrown(() => readIdxFile(brokenGzip));
    expect(gzipError.message).toContain(brokenGzip);
    expect(gzipError.message).toContain("corrupt gzip data");

    const gzippedText = writeTemp(gzipSync(Buffer.from("hello, world")));
    expect(thrown(() => readIdxFile(gzippedText)).message).toContain("gzip data that is not an IDX file");

    const empty = writeTemp(new Uint8Array(0));
    expect(thrown(() => readIdxFile(empty)).message).toContain(`${empty}: truncated`);
  });
});

describe("encodeIdx", () => {
  it("refuses dims that do not match the data", () => {
    expect(() => encodeIdx([2, 2], new Uint8Array(3))).toThrow("dims [2, 2] hold 4 bytes, but data has 3");
    expect(() => encodeIdx([], new Uint8Array(0))).toThrow("1 to 255 dimensions");
  });
});
