/**
 * Python literals for the generated app file. Every value from a spec reaches the file only through
 * here, so no spec content can break out of its literal and become code.
 */

export type PythonValue = string | number | boolean | null | readonly PythonValue[] | { readonly [key: string]: PythonValue };

/** Renders a value as a Python literal on one line: str, int/float, True/False, None, list, dict. */
export function pythonLiteral(value: PythonValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`cannot write ${value} as a Python literal`);
    return String(value);
  }
  if (typeof value === 'string') return pythonString(value);
  if (isList(value)) return `[${value.map(pythonLiteral).join(', ')}]`;
  const entries = Object.entries(value).map(([key, item]) => `${pythonString(key)}: ${pythonLiteral(item)}`);
  return `{${entries.join(', ')}}`;
}

function isList(value: PythonValue): value is readonly PythonValue[] {
  return Array.isArray(value);
}

/**
 * A double-quoted Python str. JSON's escapes (`\"`, `\\`, `\n`, `\uXXXX`…) mean the same in Python;
 * everything non-ASCII is escaped too, so the file is plain ASCII whatever the spec holds.
 */
function pythonString(text: string): string {
  let escaped = '';
  // By code point: Python does not pair `\ud83d\ude00` into one character, it needs `\U0001f600`.
  for (const character of JSON.stringify(text)) {
    const codePoint = character.codePointAt(0) ?? 0;
    if (codePoint < 0x7f) escaped += character;
    else if (codePoint <= 0xffff) escaped += `\\u${codePoint.toString(16).padStart(4, '0')}`;
    else escaped += `\\U${codePoint.toString(16).padStart(8, '0')}`;
  }
  return escaped;
}
