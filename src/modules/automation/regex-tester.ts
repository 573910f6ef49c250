import { createContext, Script } from 'node:vm';
import type { RegexTester } from './core/evaluate-rule.js';
import { REGEX_FLAGS } from './core/safe-regex.js';

/**
 * Runs rule regexes with a time budget: V8 interrupts a script past its `timeout`, backtracking
 * regex included. The static check (core/safe-regex.ts) refuses the exponential shapes when a
 * rule is saved; this bounds what remains.
 */
export function createRegexTester(budgetMs = 25): RegexTester {
  const script = new Script('pattern.test(text)');
  const context = createContext({ pattern: /./, text: '' });
  const compiled = new Map<string, RegExp>();
  return (source, text) => {
    let pattern = compiled.get(source);
    if (!pattern) {
      pattern = new RegExp(source, REGEX_FLAGS);
      if (compiled.size > 1000) compiled.clear();
      compiled.set(source, pattern);
    }
    pattern.lastIndex = 0;
    context['pattern'] = pattern;
    context['text'] = text;
    try {
      return script.runInContext(context, { timeout: budgetMs }) === true;
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return 'timeout';
      throw error;
    }
  };
}
