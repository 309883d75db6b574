const MAX_SHOWN = 120;

/** `'text'` for reasons, shortened to 120 characters with an ellipsis, newlines shown as `\n`. */
export function quote(text: string): string {
  const flat = text.replace(/\r?\n/g, '\\n');
  return `'${flat.length > MAX_SHOWN ? `${flat.slice(0, MAX_SHOWN)}…` : flat}'`;
}
