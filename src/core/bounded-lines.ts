/**
 * The lines of a byte stream (split on `\n`, a trailing `\r` kept for the caller), each at most `maxBytes`
 * long. A longer line is refused as soon as its first `maxBytes` arrived, so one huge line from a remote or an
 * archive never sits in memory whole: `tooLong(lineNumber)` is thrown (1-based). Every reader of line-based
 * input that a client or a remote controls (manifests, import files) goes through here.
 */
export async function* boundedLines(
  chunks: AsyncIterable<Buffer>,
  maxBytes: number,
  tooLong: (line: number) => Error,
): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  for await (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      line++;
      if (pendingBytes + nl - start > maxBytes) throw tooLong(line);
      yield pending.length === 0 ? chunk.subarray(start, nl) : Buffer.concat([...pending, chunk.subarray(start, nl)]);
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > maxBytes) throw tooLong(line + 1);
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending);
}
