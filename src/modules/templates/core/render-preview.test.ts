import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parameterText, validTemplate } from '../testing/arbitraries.js';
import { fillParameters } from './fill-parameters.js';
import { renderPreview } from './render-preview.js';
import { checkTemplate } from './template-rules.js';

describe('what the contact would see', () => {
  it('shows the header, footer and every button as authored, with their parameters filled in', () => {
    fc.assert(
      fc.property(validTemplate, parameterText, (g, value) => {
        const checked = checkTemplate(g.template);
        if (!checked.ok) throw new Error(JSON.stringify(checked.error));
        const variant = { ...checked.value, status: 'APPROVED' };
        const names = [...g.headerNames, ...g.bodyNames];
        const mapping = Object.fromEntries([
          ...names.map((n) => [n, { value }]),
          ...[...g.dynamicUrlButtons, ...g.copyCodeButtons].map((i) => [`button.${i}`, { value }]),
        ]);
        const header = g.headerKind === 'LOCATION' ? { location: { latitude: 0, longitude: 0 } } : { [String(g.headerKind).toLowerCase()]: { id: '1' } };
        const parameters = g.headerKind === 'none' || g.headerKind === 'text' ? {} : { header };
        const filled = fillParameters(variant, { mapping, parameters: parameters as never }, { contact: null, locale: 'en', timeZone: 'UTC' });
        if (!filled.ok) throw new Error(JSON.stringify(filled.error));
        const preview = renderPreview(variant, filled.value);
        if (!preview.ok) throw new Error(JSON.stringify(preview.error));

        const authored = (type: string) => variant.components.find((c) => c.type === type);
        const headerText = authored('HEADER')?.format === 'TEXT' ? authored('HEADER')!.text! : null;
        if (headerText !== null) expect(preview.value.header).toEqual({ type: 'text', text: headerText.replace(/\{\{[a-z0-9_]+\}\}/, () => value) });
        else if (g.headerKind === 'none') expect(preview.value.header).toBeNull();
        else expect(preview.value.header).toMatchObject({ type: 'media', format: g.headerKind });
        expect(preview.value.footer).toBe(authored('FOOTER')?.text ?? null);

        const buttons = authored('BUTTONS')?.buttons ?? [];
        expect(preview.value.buttons.map((b) => [b.type, b.text])).toEqual(buttons.map((b) => [b.type, b.text ?? null]));
        for (const i of g.dynamicUrlButtons) expect(preview.value.buttons[i]!.url).toBe(`https://shop.example.com/o/${value}`);
        for (const i of g.copyCodeButtons) expect(preview.value.buttons[i]!.code).toBe(value);
      }),
    );
  });
});
