import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';

import { Busboy, type BusboyHeaders } from '@fastify/busboy';

import { pipeToFile, ValidationError } from '../../plugin-api/index.js';

/** A file part written to a temporary file, hashed on the way. */
export interface FormFile {
  field: string;
  filename: string;
  path: string;
  size: number;
  sha256: string;
}

export interface MultipartForm {
  fields: Map<string, string>;
  files: FormFile[];
  /** Removes the temporary files still present. */
  cleanup(): Promise<void>;
}

/** Bounds of an upload form: twine sends about 30 small fields and one file. */
export interface FormLimits {
  fileSize: number;
  fields: number;
  fieldSize: number;
}

/**
 * Reads a multipart/form-data request body (twine's upload form): fields as strings (the last value of a
 * repeated field), file parts to temporary files in `tempDir` with their sha256. A body past the limits,
 * or that is not multipart, is a 400 and leaves no file behind.
 */
export async function readMultipartForm(
  req: IncomingMessage,
  tempDir: string,
  limits: FormLimits,
): Promise<MultipartForm> {
  if (!/^multipart\/form-data/i.test(req.headers['content-type'] ?? ''))
    throw new ValidationError(['The upload must be sent as multipart/form-data.']);
  await mkdir(tempDir, { recursive: true });
  const fields = new Map<string, string>();
  const files: FormFile[] = [];
  const cleanup = async () => {
    await Promise.all(files.map((f) => rm(f.path, { force: true })));
  };
  const writes: Array<Promise<void>> = [];
  let problem: string | null = null;
  try {
    await new Promise<void>((resolve, reject) => {
      let bb: ReturnType<typeof makeBusboy>;
      try {
        bb = makeBusboy({
          headers: req.headers as BusboyHeaders,
          limits: { fileSize: limits.fileSize, fields: limits.fields, fieldSize: limits.fieldSize, files: 2 },
        });
      } catch (err) {
        reject(new ValidationError([`Invalid multipart body: ${(err as Error).message}`]));
        return;
      }
      bb.on('field', (name: string, value: string, _nameTruncated: boolean, valueTruncated: boolean) => {
        if (valueTruncated) problem = `The field ${name} is too large.`;
        fields.set(name, value);
      });
      bb.on('file', (name: string, stream: NodeJS.ReadableStream, filename: string) => {
        const target = path.join(tempDir, `upload-${randomUUID()}`);
        const hash = createHash('sha256');
        const entry: FormFile = {
          field: name,
          filename: path.basename(filename ?? ''),
          path: target,
          size: 0,
          sha256: '',
        };
        files.push(entry);
        stream.on('limit', () => {
          problem = `The file ${entry.filename} is larger than ${limits.fileSize} bytes.`;
        });
        const counter = new Transform({
          transform(chunk: Buffer, _enc, done) {
            entry.size += chunk.length;
            hash.update(chunk);
            done(null, chunk);
          },
        });
        writes.push(
          pipeToFile(stream, target, [counter]).then(() => {
            entry.sha256 = hash.digest('hex');
          }),
        );
      });
      bb.on('fieldsLimit', () => (problem = 'Too many fields.'));
      bb.on('filesLimit', () => (problem = 'Too many files.'));
      bb.on('error', (err: Error) => reject(new ValidationError([`Invalid multipart body: ${err.message}`])));
      bb.on('finish', () => resolve());
      req.on('error', reject);
      req.pipe(bb);
    });
    await Promise.all(writes);
  } catch (err) {
    await Promise.allSettled(writes);
    await cleanup();
    throw err;
  }
  if (problem) {
    await cleanup();
    throw new ValidationError([problem]);
  }
  return { fields, files, cleanup };
}

const makeBusboy = (config: ConstructorParameters<typeof Busboy>[0]) => new Busboy(config);
