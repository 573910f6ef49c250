import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Rule } from '../modules/automation/index.js';
import { HOT_LEAD_RULES_FILE } from '../modules/automation/testing/hot-lead-scenario.js';
import { DEMO_RULES_FILE } from './demo.command.js';

describe('the demo\'s example rules', () => {
  it('are the file examples/rules/hot-lead.yaml, valid, and the very rules the end-to-end scenario runs', () => {
    expect(DEMO_RULES_FILE.endsWith('examples/rules/hot-lead.yaml')).toBe(true);
    expect(existsSync(DEMO_RULES_FILE)).toBe(true);
    const example = parse(readFileSync(DEMO_RULES_FILE, 'utf8')) as unknown[];
    for (const rule of example) expect(Rule.safeParse(rule).success).toBe(true);
    expect(example).toEqual(parse(readFileSync(HOT_LEAD_RULES_FILE, 'utf8')));
  });
});
