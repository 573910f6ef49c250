import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadCrmConfig, redactedConfig } from '../../platform/config.js';
import { loadFieldMap } from './load-field-map.js';

const BASE = { META_APP_SECRET: 'secret', WHATSAPP_VERIFY_TOKEN: 'verify', SWITCHBOARD_API_TOKEN: 'api-token-0123456789' };
const PEM = '-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----';

describe('CRM configuration', () => {
  it('defaults to the built-in CRM and the vendors’ own base URLs', () => {
    const config = loadConfig(BASE);
    expect(config).toMatchObject({
      CRM_CONNECTOR: 'builtin',
      CRM_POLL_INTERVAL_MS: 60_000,
      HUBSPOT_BASE_URL: 'https://api.hubapi.com',
      SALESFORCE_LOGIN_URL: 'https://login.salesforce.com',
      ZOHO_ACCOUNTS_URL: 'https://accounts.zoho.com',
      ZOHO_API_URL: 'https://www.zohoapis.com',
      PIPEDRIVE_BASE_URL: 'https://api.pipedrive.com',
    });
  });

  it.each([
    [{ CRM_CONNECTOR: 'hubspot' }, 'HUBSPOT_ACCESS_TOKEN'],
    [{ CRM_CONNECTOR: 'salesforce', SALESFORCE_CLIENT_ID: 'id', SALESFORCE_PRIVATE_KEY: PEM }, 'SALESFORCE_USERNAME'],
    [{ CRM_CONNECTOR: 'zoho', ZOHO_CLIENT_ID: 'id', ZOHO_CLIENT_SECRET: 's' }, 'ZOHO_REFRESH_TOKEN'],
    [{ CRM_CONNECTOR: 'pipedrive' }, 'PIPEDRIVE_API_TOKEN'],
  ])('stops start-up naming the missing credential of the chosen CRM (%o)', (env, variable) => {
    expect(() => loadConfig({ ...BASE, ...env })).toThrow(new ConfigError(`Invalid configuration: ${variable} is required when CRM_CONNECTOR=${env.CRM_CONNECTOR}`));
    expect(() => loadCrmConfig(env)).toThrow(variable);
  });

  it('refuses an unknown CRM, a base URL that is not one, and a private key that is not PEM', () => {
    expect(() => loadConfig({ ...BASE, CRM_CONNECTOR: 'freshsales' })).toThrow(/^Invalid configuration: CRM_CONNECTOR /);
    expect(() => loadConfig({ ...BASE, HUBSPOT_BASE_URL: 'api.hubapi.com' })).toThrow(/HUBSPOT_BASE_URL/);
    expect(() => loadConfig({ ...BASE, SALESFORCE_PRIVATE_KEY: 'not a key' })).toThrow(/SALESFORCE_PRIVATE_KEY must be a PEM private key/);
  });

  it('reads \\n escapes of a one-line private key as line breaks, and redacts CRM secrets', () => {
    const config = loadConfig({ ...BASE, CRM_CONNECTOR: 'salesforce', SALESFORCE_CLIENT_ID: 'id', SALESFORCE_USERNAME: 'u@example.com', SALESFORCE_PRIVATE_KEY: PEM, HUBSPOT_ACCESS_TOKEN: 'pat-x' });
    expect(config.SALESFORCE_PRIVATE_KEY?.split('\n')).toHaveLength(3);
    const shown = redactedConfig(config);
    expect(shown['SALESFORCE_PRIVATE_KEY']).toBe('[redacted]');
    expect(shown['HUBSPOT_ACCESS_TOKEN']).toBe('[redacted]');
    expect(shown['SALESFORCE_USERNAME']).toBe('u@example.com');
  });

  it('loads the field map from JSON or a YAML file, and names the variable and entry of a bad one', () => {
    expect(loadFieldMap('hubspot', { CRM_FIELD_MAP: '[{"crm":"budget_range","switchboard":"budget"}]' }).find((e) => e.switchboard === 'budget')?.crm).toBe('budget_range');
    const dir = mkdtempSync(join(tmpdir(), 'crm-map-'));
    const file = join(dir, 'map.yaml');
    writeFileSync(file, 'pipedrive:\n  - crm: abc123_budget\n    switchboard: budget\n    direction: to_crm\n    transform: trim\n');
    expect(loadFieldMap('pipedrive', { CRM_FIELD_MAP_FILE: file }).find((e) => e.switchboard === 'budget')).toEqual({ crm: 'abc123_budget', switchboard: 'budget', direction: 'to_crm', transform: 'trim' });

    expect(() => loadFieldMap('hubspot', { CRM_FIELD_MAP: '{nope' })).toThrow('Invalid configuration: CRM_FIELD_MAP is not valid JSON');
    expect(() => loadFieldMap('hubspot', { CRM_FIELD_MAP: '[{"crm":"x","switchboard":"y","direction":"up"}]' })).toThrow(/CRM_FIELD_MAP at 0\.direction/);
    expect(() => loadFieldMap('hubspot', { CRM_FIELD_MAP_FILE: join(dir, 'missing.yaml') })).toThrow('Invalid configuration: CRM_FIELD_MAP_FILE cannot be read (ENOENT)');
    expect(() => loadConfig({ ...BASE, CRM_FIELD_MAP: '[]', CRM_FIELD_MAP_FILE: file })).toThrow(/CRM_FIELD_MAP_FILE cannot be set together/);
  });
});
