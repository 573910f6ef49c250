/**
 * Rules may match messages with a regular expression written by a user, run by a backtracking
 * engine on text written by anyone. Two guards: this static check refuses, when the rule is
 * saved, the shapes that backtrack exponentially (a repeated group that itself repeats or
 * alternates, `(a+)+`, `(a|ab)*`, and backreferences); and matching runs with a time budget
 * (`regex-tester.ts`) on text capped at `REGEX_MAX_INPUT`, for the polynomial cases that remain
 * (`a*a*a*b`).
 */

export const REGEX_FLAGS = 'iu';
export const REGEX_MAX_INPUT = 4096;

type Group = { repeats: boolean; alternates: boolean };

/** `*`, `+`, `{n,}` and `{n,m}` with m ≥ 2 repeat; `?` and `{0,1}` do not. Returns the quantifier's length, 0 when none. */
function quantifierAt(source: string, i: number): { length: number; repeats: boolean } {
  const c = source[i];
  if (c === '*' || c === '+') return { length: source[i + 1] === '?' ? 2 : 1, repeats: true };
  if (c === '?') return { length: source[i + 1] === '?' ? 2 : 1, repeats: false };
  if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}\??/.exec(source.slice(i));
    if (!m) return { length: 0, repeats: false };
    const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
    return { length: m[0].length, repeats: max >= 2 };
  }
  return { length: 0, repeats: false };
}

/** Why the pattern is refused, or null when it is accepted. */
export function checkSafeRegex(source: string): string | null {
  try {
    new RegExp(source, REGEX_FLAGS);
  } catch (error) {
    return `not a valid regular expression: ${(error as Error).message}`;
  }
  const stack: Group[] = [{ repeats: false, alternates: false }];
  /** The atom a following quantifier applies to: a closed group (its flags) or a single character. */
  let previous: Group | null = null;
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'backreferences (\\1, \\k<name>) are not allowed';
      // \p{…}, \u{…}: the braces belong to the escape, not a quantifier.
      if (/[pPu]/.test(next) && source[i + 2] === '{') i = source.indexOf('}', i) + 1;
      else i += 2;
      previous = { repeats: false, alternates: false };
    } else if (c === '[') {
      // A class is one atom: skip to its unescaped end.
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
      i = j + 1;
      previous = { repeats: false, alternates: false };
    } else if (c === '(') {
      stack.push({ repeats: false, alternates: false });
      const prefix = /^\(\?(:|=|!|<=|<!|<[A-Za-z_$][A-Za-z0-9_$]*>)/.exec(source.slice(i));
      i += prefix ? prefix[0].length : 1;
      previous = null;
    } else if (c === ')') {
      const group = stack.length > 1 ? stack.pop()! : { repeats: false, alternates: false };
      const parent = stack[stack.length - 1]!;
      if (group.repeats) parent.repeats = true;
      previous = group;
      i += 1;
    } else if (c === '|') {
      stack[stack.length - 1]!.alternates = true;
      previous = null;
      i += 1;
    } else {
      const q = quantifierAt(source, i);
      if (q.length > 0) {
        if (q.repeats && previous && (previous.repeats || previous.alternates)) {
          return 'a repeated group may not itself repeat or alternate, e.g. (a+)+ or (a|b)*: it can take exponential time (write [ab]* or a+ instead)';
        }
        if (q.repeats) stack[stack.length - 1]!.repeats = true;
        previous = null;
        i += q.length;
      } else {
        previous = { repeats: false, alternates: false };
        i += 1;
      }
    }
  }
  return null;
}
