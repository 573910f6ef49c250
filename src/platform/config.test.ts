import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactedConfig } from './config.js';

const required = { META_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v', SWITCHBOARD_API_TOKEN: 'token-of-sixteen-chars' };

describe('loadConfig', () => {
  it('fills documented defaults around the required secrets', () => {
    const config = loadConfig(required);
    expect(config).toMatchObject({ PORT: 3000, HOST: '127.0.0.1', DATABASE_URL: 'sqlite:./data/switchboard.db', WHATSAPP_THROUGHPUT_MPS: 80, GRAPH_API_BASE_URL: 'https://graph.facebook.com', MARK_INBOUND_AS_READ: false, WORKER_BUSY_SHARE: 0.25 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    [{}, 'META_APP_SECRET'],
    [{ ...required, DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ ...required, PORT: 'eighty' }, 'PORT'],
    [{ ...required, DEFAULT_REGION: 'brazil' }, 'DEFAULT_REGION'],
    [{ ...required, SWITCHBOARD_API_TOKEN: 'short' }, 'SWITCHBOARD_API_TOKEN'],
    [{ ...required, WHATSAPP_PHONE_NUMBER_ID: '123' }, 'WHATSAPP_ACCESS_TOKEN'],
    [{ ...required, GRAPH_API_BASE_URL: 'ftp://x' }, 'GRAPH_API_BASE_URL'],
    [{ ...required, MARK_INBOUND_AS_READ: 'maybe' }, 'MARK_INBOUND_AS_READ'],
    [{ ...required, TRUST_PROXY: '2' }, 'TRUST_PROXY'],
    [{ ...required, TRUST_PROXY: '10.0.0.1,proxy.internal' }, 'TRUST_PROXY'],
    [{ ...required, TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ ...required, WORKER_BUSY_SHARE: '0' }, 'WORKER_BUSY_SHARE'],
    [{ ...required, WORKER_BUSY_SHARE: '1.5' }, 'WORKER_BUSY_SHARE'],
  ])('stops with one line that names the variable: %j', (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(variable);
    expect(message).not.toContain('\n');
  });

  it('reads TRUST_PROXY as none, any, or the proxies\' addresses and CIDRs', () => {
    expect(loadConfig(required).TRUST_PROXY).toBe(false);
    expect(loadConfig({ ...required, TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ ...required, TRUST_PROXY: ' 10.0.0.0/8, 127.0.0.1 ,::1 ' }).TRUST_PROXY).toEqual(['10.0.0.0/8', '127.0.0.1', '::1']);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ ...required, PORT: '' }).PORT).toBe(3000);
  });

  it('masks secrets and database passwords when printed', () => {
    const printed = JSON.stringify(redactedConfig(loadConfig({ ...required, DATABASE_URL: 'postgres://app:hunter2@db/x' })));
    expect(printed).not.toContain('hunter2');
    expect(printed).not.toContain('token-of-sixteen-chars');
    expect(printed).toContain('postgres://app:[redacted]@db/x');
  });
});
