import { Parser } from 'htmlparser2';

import { IndexError } from './index-errors.js';

/** The body bandersnatch posts to `<index>/pypi` for the whole project list. */
export const LIST_PACKAGES_WITH_SERIAL =
  "<?xml version='1.0'?>\n<methodCall>\n<methodName>list_packages_with_serial</methodName>\n<params>\n</params>\n</methodCall>\n";

/**
 * Parse a `list_packages_with_serial` response: one struct, project name -> serial. A fault or any other shape
 * is an IndexError (the caller falls back to the simple index).
 */
export function parseListPackagesWithSerial(xml: string, url: string): Map<string, number> {
  const result = new Map<string, number>();
  const stack: string[] = [];
  let text = '';
  let memberName: string | null = null;
  let fault = false;
  let sawStruct = false;
  const parser = new Parser(
    {
      onopentag(name) {
        stack.push(name);
        text = '';
        if (name === 'fault') fault = true;
        if (name === 'struct' && stack.join('/') === 'methodResponse/params/param/value/struct') sawStruct = true;
      },
      ontext(data) {
        text += data;
      },
      onclosetag(name) {
        stack.pop();
        if (!sawStruct || fault) return;
        if (name === 'name' && stack.at(-1) === 'member') memberName = text.trim();
        if ((name === 'int' || name === 'i4') && memberName !== null) {
          const serial = Number(text.trim());
          if (Number.isSafeInteger(serial)) result.set(memberName, serial);
          memberName = null;
        }
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.write(xml);
  parser.end();
  if (fault) throw new IndexError(`${url}: XML-RPC fault`);
  if (!sawStruct) throw new IndexError(`${url}: not a list_packages_with_serial response`);
  return result;
}
